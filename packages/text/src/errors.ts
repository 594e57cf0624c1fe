/** Why a fetched page has no text to read, as a machine-readable verdict reason. */
export type PageTextErrorCode = 'page_unsupported_type' | 'page_malformed' | 'page_encrypted' | 'page_binary';

/** A page whose bytes were fetched but cannot be read as text. `code` is the verdict reason. */
export class PageTextError extends Error {
  override readonly name = 'PageTextError';
  readonly code: PageTextErrorCode;

  constructor(code: PageTextErrorCode, message: string, options?: { cause?: unknown }) {
    super(`text: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
