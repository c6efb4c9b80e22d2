/**
 * zod compiles its object parsers with new Function when it may, and finds out by trying once, as
 * each object schema is built. The page's CSP forbids eval, so the refused probe is reported as a CSP
 * violation. main.ts imports this module first, before any schema (src/shared/*) is built.
 */
import { z } from 'zod';

z.config({ jitless: true });
