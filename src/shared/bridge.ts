/**
 * The Electron bridge between the sandboxed preload and the main process: channel names, the shape
 * of `window.portafilter`, and the file kinds the native dialog offers.
 *
 * This module must stay free of runtime imports: the sandboxed preload bundles it, and a sandboxed
 * preload can `require` nothing but a few Electron modules (so no zod here; main validates).
 */
import type { CallFailure, ConvertRequest, Progress } from './api.js';

export const IPC_CALL = 'portafilter:call';
export const IPC_CANCEL = 'portafilter:cancel';
export const IPC_PICK_FILE = 'portafilter:pickFile';
export const IPC_PICK_SAVE_PATH = 'portafilter:pickSavePath';
export const IPC_CHOOSE_DROPPED = 'portafilter:chooseDropped';
/** Progress of one call travels on its own channel, so a renderer only hears the calls it made. */
export const ipcProgressChannel = (callId: string): string => `portafilter:progress:${callId}`;

/** Call ids are chosen by the caller; the pattern keeps them safe to embed in a channel name. */
export const CALL_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The outcome of a call as it crosses IPC. Main returns failures as values instead of throwing,
 * because Electron flattens an exception from `ipcMain.handle` into a plain Error message and the
 * typed code and file:line:column location would be lost.
 */
export type CallOutcome = { result: unknown } | CallFailure;

export const FILE_KINDS = ['prototxt', 'caffemodel', 'binaryproto', 'npy', 'input', 'labels', 'dumps', 'inputs'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** What the native open dialog offers for each kind; a `folder` kind chooses a folder (and what is under it becomes readable). */
export const FILE_FILTERS: Record<FileKind, { name: string; extensions: string[]; folder?: boolean }> = {
  prototxt: { name: 'Caffe network definition (*.prototxt)', extensions: ['prototxt', 'pt', 'txt'] },
  caffemodel: { name: 'Caffe weights (*.caffemodel)', extensions: ['caffemodel'] },
  binaryproto: { name: 'Caffe mean image (*.binaryproto)', extensions: ['binaryproto'] },
  npy: { name: 'NumPy array (*.npy)', extensions: ['npy'] },
  // What a run feeds: an image (preprocessed as pycaffe's Transformer does) or a .npy in Caffe's layout.
  input: { name: 'Image or NumPy array (*.png, *.jpg, *.npy …)', extensions: ['png', 'jpg', 'jpeg', 'bmp', 'gif', 'webp', 'npy'] },
  // Class names for the predictions, one per line (synset_words.txt).
  labels: { name: 'Class labels, one per line (*.txt)', extensions: ['txt'] },
  // The Compare view's dumps: a folder of <layer>.npy (or pycaffe net.blobs <blob>.npy) saved from real Caffe.
  dumps: { name: 'folder of Caffe .npy dumps', extensions: ['npy'], folder: true },
  // The report's inputs: a folder of images and .npy arrays.
  inputs: { name: 'folder of inputs (images and .npy)', extensions: ['png', 'jpg', 'jpeg', 'bmp', 'gif', 'webp', 'npy'], folder: true },
};

export const isFileKind = (value: unknown): value is FileKind =>
  typeof value === 'string' && (FILE_KINDS as readonly string[]).includes(value);

/** What the native save dialog is asked for: an export, in one of convertModel's formats, or an equivalence report. */
export type SaveKind = ConvertRequest['format'] | 'report';

/** The save dialog's file type per export format; null for the formats that write a folder (named in the dialog, created by the export). */
export const SAVE_FILTERS: Record<SaveKind, { name: string; extensions: string[] } | null> = {
  keras: { name: 'Keras 3 model (*.keras)', extensions: ['keras'] },
  h5: { name: 'Keras HDF5 model (*.h5)', extensions: ['h5'] },
  tfjs: null,
  onnx: { name: 'ONNX model (*.onnx)', extensions: ['onnx'] },
  npy: null,
  report: { name: 'HTML report (*.html)', extensions: ['html'] },
};

export const isSaveKind = (value: unknown): value is SaveKind => typeof value === 'string' && Object.hasOwn(SAVE_FILTERS, value);

/** A path the page may suggest to the save dialog: a string of sane length, no NUL (as api.ts bounds paths). */
export const isSuggestedPath = (value: unknown): value is string => typeof value === 'string' && value.length <= 4096 && !value.includes('\0');

/** A file or folder dropped on the window, now readable by the window's calls. */
export interface DroppedPath {
  path: string;
  /** A folder (of .npy weights, say): what is under it is readable too. */
  folder: boolean;
}

/** What the preload exposes as `window.portafilter`, and nothing more. */
export interface PortafilterBridge {
  /** Starts a call; `id` is the caller's handle for `cancel` and scopes its progress events. */
  call(id: string, method: string, request: unknown, onProgress?: (progress: Progress) => void): Promise<CallOutcome>;
  /** Aborts a running call; its `call` promise then settles with a failure. */
  cancel(id: string): void;
  /** Shows the native open dialog (for a folder kind, a folder); resolves to the chosen path, which the calls may then read (a folder: what is under it too), or null when dismissed. */
  pickFile(kind: FileKind): Promise<string | null>;
  /**
   * Shows the native save dialog for an export, starting at `suggested` ('' for none); the chosen
   * path, which convertModel may then write (a folder format: the folder and what is under it), or
   * null when dismissed.
   */
  pickSavePath(kind: SaveKind, suggested: string): Promise<string | null>;
  /**
   * Makes a file dropped on the window (a File of the drop's DataTransfer) usable by the calls;
   * resolves to its path, or null for a File that no user gesture brought in (one the page made,
   * which has no path on disk).
   */
  chooseDropped(file: File): Promise<DroppedPath | null>;
}
