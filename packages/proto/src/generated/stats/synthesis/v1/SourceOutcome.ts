// Original file: protos/stats/synthesis/v1/synthesis.proto


export interface SourceOutcome {
  /**
   * Required. The source URL as requested.
   */
  'url'?: (string);
  /**
   * Required. True when the page was fetched and read.
   */
  'fetched'?: (boolean);
  /**
   * Optional. Machine-readable reason when not fetched ("fetch_failed", "http_status", ...).
   */
  'reason'?: (string);
  /**
   * Required. Number of candidates taken from this page.
   */
  'candidates'?: (number);
}

export interface SourceOutcome__Output {
  /**
   * Required. The source URL as requested.
   */
  'url': (string);
  /**
   * Required. True when the page was fetched and read.
   */
  'fetched': (boolean);
  /**
   * Optional. Machine-readable reason when not fetched ("fetch_failed", "http_status", ...).
   */
  'reason': (string);
  /**
   * Required. Number of candidates taken from this page.
   */
  'candidates': (number);
}
