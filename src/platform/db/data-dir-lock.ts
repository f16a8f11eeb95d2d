import lockfile from 'proper-lockfile';

/**
 * PGlite lets two processes open one data folder and silently loses writes, so the folder is
 * locked for as long as the process uses it. A second `npm start` fails fast with a clear reason.
 */
export async function lockDataDir(folder: string): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(folder, {
      lockfilePath: `${folder}/.namaskah.lock`,
      stale: 15_000,
      update: 5_000,
      realpath: false,
      onCompromised: (error) => {
        // Losing the lock means another process may now write the same files: stop rather than corrupt.
        console.error(`Data folder lock lost (${error.message}); stopping to protect the data.`);
        process.exit(1);
      },
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new Error(`The data folder ${folder} is in use by another Namaskah process.`, { cause: error });
    }
    throw error;
  }
}
