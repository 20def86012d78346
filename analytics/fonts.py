"""Which font file reports draw Chinese with: `HOTLINE_CJK_FONT`, else a Debian package's font.

Reports register the font by file (`analytics.render.cjk_font`) instead of looking it up by
name in matplotlib's font cache: that cache is built the first time matplotlib is imported,
and a cache built before the font package was installed (`make run` imports matplotlib before
`make test` installs the fonts) never learns of it, so every chart fell back to DejaVu Sans and
drew boxes. Finding the file needs no matplotlib, so `hotline up` can say at start-up what is
missing without paying for the import.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings

# The Debian (and Ubuntu) packages' files, in order of preference; the package that installs
# each is what the warning tells an operator to install.
DEBIAN_CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),  # fonts-arphic-uming
)
INSTALL_HINT = (
    "install fonts-wqy-zenhei (apt-get install fonts-wqy-zenhei) or fonts-noto-cjk, or set "
    "HOTLINE_CJK_FONT to a .ttf/.ttc/.otf file with Chinese glyphs"
)


def cjk_font_file(settings: Settings) -> Path | None:
    """The configured font file when set (and only it: a wrong path is an error to report,
    not a reason to pick another font silently), else the first Debian font present."""
    if settings.cjk_font is not None:
        return settings.cjk_font if settings.cjk_font.is_file() else None
    return next((path for path in DEBIAN_CJK_FONTS if path.is_file()), None)


def missing_cjk_font(settings: Settings) -> str:
    """What to tell an operator when :func:`cjk_font_file` finds nothing."""
    if settings.cjk_font is not None:
        where = f"HOTLINE_CJK_FONT={settings.cjk_font} is not a file"
    else:
        where = "none of " + ", ".join(str(p) for p in DEBIAN_CJK_FONTS) + " exists"
    return (
        f"no CJK font for reports ({where}): Chinese in charts and PDFs shows as boxes; "
        f"{INSTALL_HINT}"
    )
