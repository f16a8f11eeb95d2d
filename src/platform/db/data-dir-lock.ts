import lockfile from 'proper-lockfile';

/**
 * PGlite lets two processes open one data folder and silently loses writes, so the folder is
 * locked for as long as the process uses it. A second `npm start` fails fast with a clear reason.
 */
export async function lockDataDir(folder: string): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(folder, lockOptions(folder));
  } catch (error) {
    throw explained(folder, error);
  }
}

/** The same lock taken at once: the start takes it while the server's modules still load. */
export function lockDataDirSync(folder: string): () => Promise<void> {
  try {
    const release = lockfile.lockSync(folder, lockOptions(folder));
    return async () => release();
  } catch (error) {
    throw explained(folder, error);
  }
}

function lockOptions(folder: string): lockfile.LockOptions {
  return {
    lockfilePath: `${folder}/.namaskah.lock`,
    stale: 15_000,
    update: 5_000,
    realpath: false,
    onCompromised: (error) => {
      // Losing the lock means another process may now write the same files: stop rather than corrupt.
      console.error(`Data folder lock lost (${error.message}); stopping to protect the data.`);
      process.exit(1);
    },
  };
}

function explained(folder: string, error: unknown): unknown {
  if ((error as { code?: string }).code === 'ELOCKED') {
    return new Error(`The data folder ${folder} is in use by another Namaskah process.`, { cause: error });
  }
  return error;
}
