/** Checks on an output path, made before a command spends its time budget on the work. */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WaybillError } from '../errors.js';

/**
 * Throws INVALID_ARGUMENT (naming `flag` and the path) when `out` cannot be written: its folder
 * is missing or not writable, or `out` is a folder. Called before solving / training /
 * forecasting, so a mistyped path does not lose the result at the end.
 */
export function checkWritable(out: string, flag = '--out'): void {
  const fail = (why: string): never => {
    throw new WaybillError('INVALID_ARGUMENT', `${flag} ${out}: ${why}`, { argument: flag.replace(/^--/, ''), path: out });
  };
  let isDir = false;
  try {
    isDir = statSync(out).isDirectory();
  } catch {
    // Not there yet: its folder must be.
    const dir = dirname(resolve(out));
    let dirOk = false;
    try {
      dirOk = statSync(dir).isDirectory();
    } catch {
      fail(`the folder ${dir} does not exist`);
    }
    if (!dirOk) fail(`${dir} is not a folder`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      fail(`the folder ${dir} is not writable`);
    }
    return;
  }
  if (isDir) fail('is a folder, not a file');
  try {
    accessSync(out, constants.W_OK);
  } catch {
    fail('the file is not writable');
  }
}
