// Deleting a run or a checkpoint: to the system trash where there is one (gio on Linux desktops,
// the Finder on macOS, the Recycle Bin on Windows), so a mis-click can be undone. Where no trash
// exists (a headless server), only an explicit permanent delete is done, and it says so.
import { rm } from 'node:fs/promises';
import { execa } from 'execa';
import type { Command } from './process-tree';

export type DeleteHow = 'trash' | 'deleted';

/** The command that moves `path` to the system trash on this platform (null: none known). */
export function trashCommand(path: string, platform: NodeJS.Platform = process.platform): Command | null {
  if (platform === 'linux' || platform === 'freebsd') return { file: 'gio', args: ['trash', '--', path] };
  if (platform === 'darwin') {
    const quoted = path.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    return { file: 'osascript', args: ['-e', `tell application "Finder" to delete POSIX file "${quoted}"`] };
  }
  if (platform === 'win32') {
    const quoted = path.replace(/'/g, "''");
    return {
      file: 'powershell.exe',
      args: [
        '-NoProfile',
        '-NonInteractive',
        '-Command',
        `Add-Type -AssemblyName Microsoft.VisualBasic; [Microsoft.VisualBasic.FileIO.FileSystem]::DeleteDirectory('${quoted}', 'OnlyErrorDialogs', 'SendToRecycleBin')`,
      ],
    };
  }
  return null;
}

export class NoTrashError extends Error {}

/** Moves a folder to the trash; with `permanent`, deletes it for good (the only way where there is no trash). */
export async function deleteFolder(path: string, options: { permanent?: boolean } = {}): Promise<DeleteHow> {
  if (options.permanent) {
    await rm(path, { recursive: true, force: true });
    return 'deleted';
  }
  const command = trashCommand(path);
  if (command) {
    const result = await execa(command.file, command.args, { reject: false, timeout: 60_000 });
    if (result.exitCode === 0) return 'trash';
    const why = String(result.stderr || result.shortMessage || '').trim().split('\n')[0];
    throw new NoTrashError(
      `could not move ${path} to the trash (${command.file}: ${why || 'failed'}). ` +
        'Nothing was deleted. To delete it permanently, repeat with the permanent option (--permanent).',
    );
  }
  throw new NoTrashError(`this system has no trash for ${path}. Nothing was deleted; use the permanent option (--permanent).`);
}
