// Canned replies: the "insert" buttons (hidden without JavaScript, where the texts are listed to
// copy) put a reply into the reply box of their own form, at the cursor.
(function () {
  document.querySelectorAll("button.insert-reply").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var box = button.closest("form").querySelector("textarea.reply-box");
      if (!box) return;
      var at = box.selectionStart || box.value.length;
      box.value = box.value.slice(0, at) + button.dataset.text + box.value.slice(at);
      box.focus();
    });
  });
})();
