import type { PortafilterBridge } from '../../shared/bridge';

declare global {
  interface Window {
    /** Present only inside the Electron window (the preload's bridge). */
    readonly portafilter?: PortafilterBridge;
  }
}

export {};
