#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Installs the npm packages of package-lock.json into DEST/node_modules
without npm (Debian 12's nodejs has none, and its npm package conflicts with
other builds of Node.js): each package's tarball from the npm registry,
checked against the lock file's SHA-512 integrity before it is unpacked.
Tarballs are kept in ~/.cache/hearth/npm, so a second run needs no network.

Usage: fetch-packages.py LOCKFILE DEST
Exit status 0: installed (or already there); 77: the registry cannot be
reached (said on stderr, for the test to skip visibly); 1: a package did
not match its integrity, or the lock file is not one this script reads.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.error
import urllib.request

REGISTRY = os.environ.get('HEARTH_NPM_REGISTRY', 'https://registry.npmjs.org').rstrip('/')


def tarball_url(name, version):
    base = name.split('/')[-1]
    return f'{REGISTRY}/{name}/-/{base}-{version}.tgz'


def fetch(name, version, integrity):
    algo, _, want = integrity.partition('-')
    if algo != 'sha512':
        raise ValueError(f'{name}: integrity {algo} is not sha512')
    cache = os.path.join(os.path.expanduser('~/.cache/hearth/npm'), f'{name.replace("/", "+")}-{version}.tgz')
    data = None
    if os.path.exists(cache):
        with open(cache, 'rb') as f:
            data = f.read()
        if base64.b64encode(hashlib.sha512(data).digest()).decode() != want:
            data = None
    if data is None:
        url = tarball_url(name, version)
        with urllib.request.urlopen(url, timeout=60) as r:
            data = r.read()
        got = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if got != want:
            raise ValueError(f'{name}@{version}: the tarball from {url} does not match the lock file’s integrity')
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache + '.part', 'wb') as f:
            f.write(data)
        os.replace(cache + '.part', cache)
    return data


def unpack(data, target):
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as tar:
        for member in tar.getmembers():
            # every entry sits under one top folder ("package/"); nothing may leave the target
            parts = member.name.split('/', 1)
            if len(parts) < 2 or not parts[1]:
                continue
            rel = os.path.normpath(parts[1])
            if rel.startswith('..') or os.path.isabs(rel):
                raise ValueError(f'{member.name}: a path outside the package')
            path = os.path.join(target, rel)
            if member.isdir():
                os.makedirs(path, exist_ok=True)
            elif member.isfile():
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with tar.extractfile(member) as src, open(path, 'wb') as dst:
                    dst.write(src.read())
            # links and devices: npm packages have none that matter here


def main():
    lockfile, dest = sys.argv[1], sys.argv[2]
    with open(lockfile, encoding='utf-8') as f:
        lock = json.load(f)
    if lock.get('lockfileVersion') not in (2, 3):
        print(f'{lockfile}: lockfileVersion {lock.get("lockfileVersion")} is not 2 or 3', file=sys.stderr)
        return 1
    for key, entry in sorted(lock['packages'].items()):
        if not key.startswith('node_modules/'):
            continue
        name = key[len('node_modules/'):]
        target = os.path.join(dest, key)
        stamp = os.path.join(target, '.hearth-integrity')
        if os.path.exists(stamp) and open(stamp, encoding='utf-8').read() == entry['integrity']:
            continue
        try:
            data = fetch(name, entry['version'], entry['integrity'])
        except (urllib.error.URLError, OSError) as e:
            print(f'the npm registry ({REGISTRY}) cannot be reached for {name}: {e}', file=sys.stderr)
            return 77
        except ValueError as e:
            print(e, file=sys.stderr)
            return 1
        tmp = target + '.part'
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
        unpack(data, tmp)
        with open(os.path.join(tmp, '.hearth-integrity'), 'w', encoding='utf-8') as f:
            f.write(entry['integrity'])
        if os.path.exists(target):
            shutil.rmtree(target)
        os.replace(tmp, target)
    return 0


if __name__ == '__main__':
    sys.exit(main())
