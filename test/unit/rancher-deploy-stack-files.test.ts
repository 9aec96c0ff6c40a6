import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { swarmStackFile } from '../../actions/rancher-deploy/src/plan';
import { localFileRefs, resolveLocalFiles } from '../../actions/rancher-deploy/src/stack-files';

describe('the runner files a swarm stack file names', () => {
  const compose = 'services:\n  app:\n    image: a\n    env_file: [.env, {path: ${DIR}/more.env}]\nsecrets:\n  s:\n    file: ./s.txt\nconfigs:\n  c:\n    file: ../shared/c.conf\n  ext:\n    external: true\n';

  it('are the secrets and configs with file:, and the env_file entries', () => {
    expect(localFileRefs(parse(compose.replace('${DIR}', 'd')))).toEqual([
      { key: 'secrets.s.file', file: './s.txt' },
      { key: 'configs.c.file', file: '../shared/c.conf' },
      { key: 'services.app.env_file[0]', file: '.env' },
      { key: 'services.app.env_file[1]', file: 'd/more.env' },
    ]);
  });

  it('resolve against the compose file, and the stack file names them by their real paths', () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'drover-ws-')));
    fs.mkdirSync(path.join(root, 'swarm/d'), { recursive: true });
    fs.mkdirSync(path.join(root, 'shared'));
    for (const f of ['swarm/.env', 'swarm/d/more.env', 'swarm/s.txt', 'shared/c.conf']) fs.writeFileSync(path.join(root, f), 'x');
    const file = path.join(root, 'swarm/docker-compose.yml');
    const localFiles = resolveLocalFiles(compose, { DIR: 'd' }, file, root);
    expect(localFiles['./s.txt']).toBe(path.join(root, 'swarm/s.txt'));
    const stack = parse(swarmStackFile({ dockerCompose: compose, rancherCompose: '', localFiles }, { DIR: 'd' }, 'a', [], {}));
    expect(stack.secrets.s.file).toBe(path.join(root, 'swarm/s.txt'));
    expect(stack.configs.c.file).toBe(path.join(root, 'shared/c.conf'));
    expect(stack.services.app.env_file).toEqual([path.join(root, 'swarm/.env'), { path: path.join(root, 'swarm/d/more.env') }]);
    expect(() => resolveLocalFiles('secrets:\n  s:\n    file: ../../../etc/hostname\n', {}, file, root)).toThrow(/^Input 'compose-file' is invalid: "secrets\.s\.file: \.\.\/\.\.\/\.\.\/etc\/hostname"; expected a file inside the workspace/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
