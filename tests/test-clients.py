#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real clients against `hearth serve`: the `ollama` and `openai` npm
packages, unmodified, stream replies from stories260K (tests/clients/).

The packages come from tests/clients/package-lock.json (fetch-packages.py,
checked against their SHA-512); the server runs with its own store in a
temporary folder, on a free port, with at most 4 replies waiting
(HEARTH_MAX_QUEUE) so that the load test sees both answers and refusals.
Speaks TAP (the node script's lines); skips visibly, saying why, where
Node.js, the npm registry or ../shared is missing.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def skip(why):
    print(f'1..0 # SKIP {why}')
    sys.exit(0)


def main():
    binary = os.environ.get('HEARTH_BINARY')
    shared = os.environ.get('HEARTH_SHARED_DIR', '')
    model = os.path.join(shared, 'models', 'stories260K.gguf')
    build_dir = sys.argv[1]
    if not binary:
        skip('HEARTH_BINARY is not set (run through meson test)')
    if not os.path.exists(model):
        skip(f'{model} is missing (../shared beside the checkout)')
    node = shutil.which('node') or shutil.which('nodejs')
    if node is None:
        skip('Node.js is not installed (the README’s set-up line installs nodejs)')

    modules = os.path.join(build_dir, 'clients')
    os.makedirs(modules, exist_ok=True)
    r = subprocess.run([sys.executable, os.path.join(HERE, 'clients', 'fetch-packages.py'),
                        os.path.join(HERE, 'clients', 'package-lock.json'), modules],
                       capture_output=True, text=True)
    if r.returncode == 77:
        skip(r.stderr.strip())
    if r.returncode != 0:
        print(f'Bail out! the npm packages could not be installed: {r.stderr.strip()}')
        sys.exit(1)
    shutil.copy(os.path.join(HERE, 'clients', 'clients.mjs'), modules)
    shutil.copy(os.path.join(HERE, 'clients', 'package.json'), modules)

    with tempfile.TemporaryDirectory(prefix='hearth-clients-') as tmp:
        env = dict(os.environ, HEARTH_MODELS=os.path.join(tmp, 'models'), HOME=tmp,
                   XDG_CONFIG_HOME=os.path.join(tmp, 'config'), XDG_DATA_HOME=os.path.join(tmp, 'data'),
                   XDG_CACHE_HOME=os.path.join(tmp, 'cache'), HEARTH_HOST='127.0.0.1:0', HEARTH_MAX_QUEUE='4')
        env.pop('HEARTH_API_KEY', None)
        subprocess.run([binary, 'import', model, 'stories'], env=env, check=True, capture_output=True)
        expected = subprocess.run([binary, 'run', 'stories', 'Once upon a time', '--temperature', '0',
                                   '--num-predict', '40'],
                                  env=env, check=True, capture_output=True, text=True).stdout
        # `hearth run` ends its output with a newline of its own
        expected = expected[:-1] if expected.endswith('\n') else expected

        server = subprocess.Popen([binary, 'serve'], env=env, stderr=subprocess.PIPE, text=True)
        try:
            url = None
            for line in server.stderr:
                m = re.search(r'(http://\S+/)', line)
                if m:
                    url = m.group(1)
                    break
            if url is None:
                print('Bail out! hearth serve did not say where it listens')
                sys.exit(1)
            r = subprocess.run([node, os.path.join(modules, 'clients.mjs'), url, str(server.pid), expected],
                               cwd=modules, timeout=600)
            status = r.returncode
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                print('# hearth serve did not stop on SIGTERM')
                status = 1
        if server.returncode not in (0, -signal.SIGKILL) and status == 0:
            print(f'# hearth serve ended with status {server.returncode}')
            status = 1
    sys.exit(status)


if __name__ == '__main__':
    main()
