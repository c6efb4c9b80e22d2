/**
 * Uploading a file the browser holds only as bytes to the web host, shown in the progress strip
 * with its cancel: the open form's drops and picks, and the Run view's inputs and mean files.
 */
import { api } from '../api/instance.js';
import { useActivityStore } from './activity.js';

const MB = 1e6;
const megabytes = (bytes: number): string => `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;

/** The web host can take uploads (the app reads dropped files where they are). */
export const canUpload = (): boolean => api().uploadFile !== undefined;

/** Streams `file` to the host and answers its path there; rejects with an AbortError when cancelled. */
export async function uploadToHost(file: File, label = `Uploading ${file.name}`): Promise<string> {
  const uploadFile = api().uploadFile;
  if (!uploadFile) throw new Error('this window reads files where they are: there is nothing to upload to');
  return useActivityStore().run(label, (signal, onProgress) =>
    uploadFile(file, (fraction) => onProgress({ stage: `${megabytes(fraction * file.size)} of ${megabytes(file.size)}`, fraction }), signal),
  );
}
