#!/bin/sh
# Makes wqy-microhei-gbk.ttf, the font the PDF reports embed (include_bytes! in
# crates/report/src/pdf.rs), from WenQuanYi Micro Hei as Debian ships it:
#   apt-get install -y fonts-wqy-microhei   (font 0 of /usr/share/fonts/truetype/wqy/wqy-microhei.ttc)
#   pip install fonttools                   (pyftsubset)
# Kept: printable ASCII, the whole GBK set (21,003 hanzi, so rare characters of people's and
# places' names such as 喆 堃 犇 print too, plus GBK's punctuation, full-width forms and
# symbols), and the font's symbols the notes use beyond GBK: Latin-1, general
# punctuation, super- and subscripts, arrows, mathematical operators (− ⊆ ⇔), dingbats (✓),
# CJK punctuation and full-width forms.
# krilla subsets this again to the glyphs each PDF uses. Licence: see LICENSE-wqy-microhei.txt.
set -eu
SRC=${1:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
OUT=$(dirname "$0")/wqy-microhei-gbk.ttf
CHARS=$(mktemp)
python3 - "$CHARS" <<'PY'
import sys
chars = {chr(c) for c in range(0x20, 0x7F)}
for hi in range(0x81, 0xFF):
    for lo in range(0x40, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gbk"))
        except UnicodeDecodeError:
            pass
ranges = [(0xA0, 0x100), (0x2000, 0x2C00), (0x3000, 0x3040), (0xFF00, 0xFFF0)]
for lo, hi in ranges:
    chars.update(chr(c) for c in range(lo, hi))
open(sys.argv[1], "w", encoding="utf-8").write("".join(sorted(chars)))
print(f"{len(chars)} characters", file=sys.stderr)
PY
pyftsubset "$SRC" --font-number=0 --text-file="$CHARS" --output-file="$OUT" \
  --layout-features='*' --no-hinting --desubroutinize --name-IDs='*' --name-languages='*'
rm -f "$CHARS"
ls -l "$OUT"
