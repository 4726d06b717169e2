#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Compares the engine's pre-tokenizers with an oracle: the `regex` module
# running the same expressions the way llama.cpp's unicode_regex_split
# applies them (each expression splits every piece the previous ones made;
# matches and the text between them are pieces). TAP, one test per
# pre-tokenizer name.
#
#   check-pretokenize.py PRETOKENIZE-HELPER

import subprocess
import sys

try:
    import regex
except ImportError:
    print('1..0 # SKIP the python3 "regex" module is not installed (Debian: python3-regex)')
    sys.exit(0)

HELPER = sys.argv[1]

# llama.cpp's \p{Han} is a fixed list of blocks, not the Han script.
HAN = ('[\u4E00-\u9FFF\u3400-\u4DBF\U00020000-\U0002A6DF\U0002A700-\U0002B73F'
       '\U0002B740-\U0002B81F\U0002B820-\U0002CEAF\U0002CEB0-\U0002EBEF'
       '\uF900-\uFAFF\U0002F800-\U0002FA1F]')

TEXTS = [
    '', ' ', '  ', '   ', '\t', '\n', '\n\n', '\n\n\n', '\t\n', '\r\n', ' \r\n\r\n  x',
    'Hello world', ' Hello world', 'Hello World!', ' Hello, world!', 'Hello\n\nworld',
    "I'm sure you'll see it's what we've done, isn't it? He'd say THEY'RE 'quoted' o'clock",
    "DON'T YOU'LL WE'VE I'M HE'S SHE'D it'S",
    '3', '33', '333', '3333', '33333', '333333', '3333333', '33333333', '333333333',
    '1234567890123', 'v1.2.3 costs $4,500.99 (or 3.14e10) on 2024-01-01 at 12:30',
    '١٢٣٤ ٥٦ ⅷ ½ ²³',
    '我想在apple工作1314151天～', '中华人民共和国成立于1949年。你好，世界！',
    '日本語のテキスト、カタカナとひらがな。東京タワー', '한국어 텍스트입니다. 안녕하세요!',
    'Ελληνικά κείμενα ΚΕΦΑΛΑΙΑ', 'нещо на Български', 'Привет, МИР! ЁжИк',
    'कान्तिपुर हिन्दी', 'ก้าวหน้า ภาษาไทย', 'العربية، نص', 'עברית',
    'café naïve résumé Ünïcödé e\u0301 a\u0300\u0301 \u0301lone',
    '🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)',
    '👨‍👩‍👧‍👦 family 🏳️‍🌈 flag 👍🏽 thumbs 🇨🇳🇺🇸',
    'int main(void) {\n\treturn 0;\n}\n',
    'def f(x):\n    if x:\n        return x ** 2  # comment\n\n\n    pass',
    '    Hello\n    Hello', '  a   b    c\t\td \t e  ', 'a\u00a0b\u3000c\u2003d\u200be',
    '<|im_start|>user\nhi<|im_end|>', '<sentinel:12> IMGIMGABZ IMGIMGZ',
    'x!!! ?? ... — “quotes” «guillemets» ‹› 「括弧」',
    '$+<=>^~|` @#%&*_-/\\', 'Hello, y\'all! How are you 😁 ?我想在apple工作1314151天～',
    'ied 4 ½ months', 'Führer', 'w048 7tuijk dsdfhu', '   Hello', ' (', '\n =', "' era",
    'MixedCASEWordsAndCamelCase HTTPServer iPhone XMLHttpRequest',
    'tab\tseparated\tvalues\r\nwindows\r\nlines\r\n', '\r', '\r\r\n\n',
    'line one\nline two \n line three  \n\n',
    'ⅠⅡⅢ ①②③ ℃ ™ ©', 'ＡＢＣ ａｂｃ ！？', '‘single’ “double”',
    'a' * 50 + ' ' * 40 + 'b', '1' * 40, ' ' * 30, '\n' * 10 + 'x',
    '𠀀𠀁 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐀𐐨', 'ǅungla ǈudevit', 'ⓐⓑ ⒜',
]


def oracle(patterns, text):
    pieces = [text] if text else []
    for pattern in patterns:
        rx = regex.compile(pattern.replace('\\p{Han}', HAN))
        out = []
        for piece in pieces:
            last = 0
            for m in rx.finditer(piece):
                if m.start() > last:
                    out.append(piece[last:m.start()])
                if m.end() > m.start():
                    out.append(m.group())
                last = m.end()
            if last < len(piece):
                out.append(piece[last:])
        pieces = out
    return pieces


def run(*args, stdin=''):
    return subprocess.run([HELPER, *args], input=stdin, capture_output=True,
                          text=True, check=True).stdout


def main():
    names = run('names').split()
    print('1..%d' % len(names))
    for i, name in enumerate(names, 1):
        patterns = [bytes.fromhex(h).decode('utf-8') for h in run('patterns', name).split('\n') if h]
        stdin = ''.join(t.encode('utf-8').hex() + '\n' for t in TEXTS)
        lines = run('split', name, stdin=stdin).split('\n')
        failures = []
        for text, line in zip(TEXTS, lines):
            got = [bytes.fromhex(h).decode('utf-8') for h in line.split()]
            want = oracle(patterns, text)
            if got != want:
                failures.append((text, want, got))
        if len(lines) - 1 != len(TEXTS):
            failures.append(('(output)', len(TEXTS), len(lines) - 1))
        if failures:
            print('not ok %d - %s: %d of %d texts differ' % (i, name, len(failures), len(TEXTS)))
            for text, want, got in failures[:3]:
                print('# text %r\n#   want %r\n#   got  %r' % (text, want, got))
        else:
            print('ok %d - %s: %d texts split as the regex module does' % (i, name, len(TEXTS)))


if __name__ == '__main__':
    main()
