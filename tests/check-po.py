#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the translations, as TAP.

1. po/POTFILES.in is sorted, has no duplicates, and lists only files that exist
   and have translatable strings.
2. Every source file with translatable strings is listed in POTFILES.in.
3. Every language in po/LINGUAS (zh_CN above all) translates every string of
   today's sources: nothing untranslated, nothing fuzzy, msgfmt -c clean.

Usage: check-po.py SOURCE_ROOT
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

C_MARKERS = re.compile(r'\b(?:_|N_|C_|NC_|g_dgettext|g_dpgettext2|ngettext)\s*\(\s*"')
UI_MARKER = re.compile(r'translatable="yes"')
# Files whose every instance carries translatable text.
ALWAYS_TRANSLATABLE = ('.desktop.in', '.metainfo.xml.in', '.gschema.xml')
SCANNED_DIRS = ('app', 'ui', 'engine', 'data')

XGETTEXT_KEYWORDS = [
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
]

results = []


def report(ok, name, detail=''):
    results.append((ok, name, detail))


def has_strings(path):
    if path.endswith(ALWAYS_TRANSLATABLE):
        return True
    try:
        text = open(path, encoding='utf-8').read()
    except (OSError, UnicodeDecodeError):
        return False
    if path.endswith(('.c', '.h')):
        return C_MARKERS.search(text) is not None
    if path.endswith('.ui'):
        return UI_MARKER.search(text) is not None
    return False


def read_potfiles(root):
    entries = []
    with open(os.path.join(root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                entries.append(line)
    return entries


def check_potfiles(root, entries):
    report(entries == sorted(entries), 'POTFILES.in is sorted',
           '' if entries == sorted(entries) else 'expected order:\n' + '\n'.join(sorted(entries)))
    dups = sorted({e for e in entries if entries.count(e) > 1})
    report(not dups, 'POTFILES.in has no duplicates', ', '.join(dups))

    missing_files = [e for e in entries if not os.path.isfile(os.path.join(root, e))]
    report(not missing_files, 'every file in POTFILES.in exists', ', '.join(missing_files))

    stale = [e for e in entries if e not in missing_files and not has_strings(os.path.join(root, e))]
    report(not stale, 'every file in POTFILES.in has translatable strings', ', '.join(stale))

    found = []
    for top in SCANNED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if has_strings(path):
                    found.append(os.path.relpath(path, root))
    unlisted = [f for f in found if f not in entries]
    report(not unlisted, 'every file with translatable strings is in POTFILES.in',
           'add to po/POTFILES.in: ' + ', '.join(unlisted) if unlisted else '')


def msgids(po_text):
    """The msgids of a .po text, multi-line ones joined, the header left out."""
    joined = re.sub(r'"\n"', '', po_text)
    return [m for m in re.findall(r'^msgid "(.*)"$', joined, re.M) if m]


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def check_languages(root, entries):
    with open(os.path.join(root, 'po', 'LINGUAS'), encoding='utf-8') as f:
        linguas = [w for line in f if not line.startswith('#') for w in line.split()]
    report('zh_CN' in linguas, 'po/LINGUAS lists zh_CN', ' '.join(linguas))

    for tool in ('xgettext', 'msgmerge', 'msgattrib', 'msgfmt'):
        if shutil.which(tool) is None:
            report(False, 'gettext tools are installed', tool + ' is missing (apt install gettext)')
            return

    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'fresh.pot')
        r = run(['xgettext', '--from-code=UTF-8', '--add-comments', '--package-name=hearth',
                 '--directory=' + root, '--files-from=' + os.path.join(root, 'po', 'POTFILES.in'),
                 '--output=' + pot] + XGETTEXT_KEYWORDS)
        report(r.returncode == 0, 'xgettext extracts the strings', r.stderr.strip())
        if r.returncode != 0:
            return

        for lang in linguas:
            po = os.path.join(root, 'po', lang + '.po')
            if not os.path.isfile(po):
                report(False, lang + '.po exists', po)
                continue
            merged = os.path.join(tmp, lang + '.po')
            r = run(['msgmerge', '--quiet', '--no-fuzzy-matching', '--output-file=' + merged, po, pot])
            if r.returncode != 0:
                report(False, lang + ' merges with the sources', r.stderr.strip())
                continue
            r = run(['msgattrib', '--untranslated', '--no-obsolete', merged])
            untranslated = msgids(r.stdout)
            report(r.returncode == 0 and not untranslated, lang + ' has no untranslated string',
                   '\n'.join(untranslated))
            r = run(['msgattrib', '--only-fuzzy', '--no-obsolete', merged])
            fuzzy = msgids(r.stdout)
            report(r.returncode == 0 and not fuzzy, lang + ' has no fuzzy string', '\n'.join(fuzzy))
            r = run(['msgfmt', '--check', '--output-file=' + os.devnull, po])
            report(r.returncode == 0, lang + '.po passes msgfmt --check', r.stderr.strip())
            if lang == 'zh_CN':
                check_zh_cn_address(po)


def check_zh_cn_address(po):
    """One form of address throughout, the polite 您 as GNOME's zh_CN
    translations use it: a translation mixing 您 and 你 reads as careless."""
    informal = []
    with open(po, encoding='utf-8') as f:
        msgstr = False
        for number, line in enumerate(f, 1):
            if line.startswith('msgstr'):
                msgstr = True
            elif line.startswith('msgid') or line.startswith('#'):
                msgstr = False
            if msgstr and '你' in line:
                informal.append('line %d: %s' % (number, line.strip()))
    report(not informal, 'zh_CN addresses the user as 您 throughout (no 你)', '\n'.join(informal))


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '.')
    entries = read_potfiles(root)
    check_potfiles(root, entries)
    check_languages(root, entries)

    print('1..%d' % len(results))
    failed = 0
    for i, (ok, name, detail) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
        if not ok:
            failed += 1
            for line in (detail or '').splitlines():
                print('# ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
