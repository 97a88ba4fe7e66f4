import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readHostSettings } from '../../local/host/host-json';

const hostJson = (document: unknown): string => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'host-json-')), 'host.json');
  writeFileSync(file, JSON.stringify(document));
  return file;
};

describe('host.json functions: the Functions one host loads', () => {
  test('absent: every Function', () => {
    expect(readHostSettings(hostJson({ version: '2.0' }), {}).functions).toBeUndefined();
  });

  test("host.json's list, replaced by AzureFunctionsJobHost__functions__N in index order", () => {
    const file = hostJson({ version: '2.0', functions: ['a', 'b'] });
    expect(readHostSettings(file, {}).functions).toEqual(['a', 'b']);
    expect(
      readHostSettings(file, {
        AzureFunctionsJobHost__functions__10: 'z',
        AzureFunctionsJobHost__functions__2: 'migrate-health',
        AzureFunctionsJobHost__functions__0: 'provision-health',
      }).functions,
    ).toEqual(['provision-health', 'migrate-health', 'z']);
  });

  test('anything but an array of names is refused, naming the setting', () => {
    expect(() => readHostSettings(hostJson({ functions: 'a' }), {})).toThrow(/host.json functions/);
    expect(() => readHostSettings(hostJson({ functions: [1] }), {})).toThrow(/host.json functions/);
  });
});
