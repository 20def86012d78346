"""One router per resource; `api/main.py` only wires them."""
