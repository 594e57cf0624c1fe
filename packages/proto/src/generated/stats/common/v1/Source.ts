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
   * Optional. Ranking score (relevance weighted by reputation); higher is better, comparable
   * within one response.
   */
  'score'?: (number | string);
  /**
   * Required. Reputation tier of the publisher: "government", "intergovernmental", "academic",
   * "research", or "other" (see the research agent's tier configuration).
   */
  'reputation_tier'?: (string);
  /**
   * Optional. Name of the publisher when known (a corpus manifest, a search provider's result).
   */
  'publisher'?: (string);
  /**
   * Optional. Domain of the publisher when it differs from the URL's host (a local corpus served
   * on loopback on behalf of its publisher), lower case.
   */
  'publisher_domain'?: (string);
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
   * Optional. Ranking score (relevance weighted by reputation); higher is better, comparable
   * within one response.
   */
  'score': (number);
  /**
   * Required. Reputation tier of the publisher: "government", "intergovernmental", "academic",
   * "research", or "other" (see the research agent's tier configuration).
   */
  'reputation_tier': (string);
  /**
   * Optional. Name of the publisher when known (a corpus manifest, a search provider's result).
   */
  'publisher': (string);
  /**
   * Optional. Domain of the publisher when it differs from the URL's host (a local corpus served
   * on loopback on behalf of its publisher), lower case.
   */
  'publisher_domain': (string);
}
