// Original file: protos/stats/common/v1/common.proto


/**
 * A document found by research. Produced by research, consumed by synthesis.
 */
export interface Source {
  /**
   * Required. Absolute http(s) URL of the document.
   */
  'url'?: (string);
  /**
   * Optional. Title of the document.
   */
  'title'?: (string);
  /**
   * Optional. A short passage that matched the topic.
   */
  'snippet'?: (string);
  /**
   * Required. Host name of `url`, lower case.
   */
  'domain'?: (string);
  /**
   * Required. 1-based rank in the whole result list (stable across pages).
   */
  'position'?: (number);
  /**
   * Optional. Provider relevance score; higher is better, comparable within one response.
   */
  'score'?: (number | string);
}

/**
 * A document found by research. Produced by research, consumed by synthesis.
 */
export interface Source__Output {
  /**
   * Required. Absolute http(s) URL of the document.
   */
  'url': (string);
  /**
   * Optional. Title of the document.
   */
  'title': (string);
  /**
   * Optional. A short passage that matched the topic.
   */
  'snippet': (string);
  /**
   * Required. Host name of `url`, lower case.
   */
  'domain': (string);
  /**
   * Required. 1-based rank in the whole result list (stable across pages).
   */
  'position': (number);
  /**
   * Optional. Provider relevance score; higher is better, comparable within one response.
   */
  'score': (number);
}
