// Original file: protos/stats/common/v1/common.proto


/**
 * A statistic as extracted from a page, not yet verified.
 * The first six fields are the reference system's CandidateStatistic.
 */
export interface CandidateStatistic {
  /**
   * Required. What the number measures, e.g. "Share of electricity from wind".
   */
  'name'?: (string);
  /**
   * Required. The number as printed, scale words applied ("1.2 million" = 1200000).
   */
  'value'?: (number | string);
  /**
   * Optional. Unit of `value` ("%", "USD", "km", "people"); empty for a plain count.
   */
  'unit'?: (string);
  /**
   * Required. Name of the publisher or site.
   */
  'source'?: (string);
  /**
   * Required. URL of the page the excerpt was taken from.
   */
  'source_url'?: (string);
  /**
   * Required. The verbatim sentence or clause that states the number.
   */
  'excerpt'?: (string);
  /**
   * Optional. Period the number refers to when the page says, e.g. "2023".
   */
  'period'?: (string);
  /**
   * Optional. Relevance of the statistic to the topic, 0..1.
   */
  'relevance'?: (number | string);
}

/**
 * A statistic as extracted from a page, not yet verified.
 * The first six fields are the reference system's CandidateStatistic.
 */
export interface CandidateStatistic__Output {
  /**
   * Required. What the number measures, e.g. "Share of electricity from wind".
   */
  'name': (string);
  /**
   * Required. The number as printed, scale words applied ("1.2 million" = 1200000).
   */
  'value': (number);
  /**
   * Optional. Unit of `value` ("%", "USD", "km", "people"); empty for a plain count.
   */
  'unit': (string);
  /**
   * Required. Name of the publisher or site.
   */
  'source': (string);
  /**
   * Required. URL of the page the excerpt was taken from.
   */
  'source_url': (string);
  /**
   * Required. The verbatim sentence or clause that states the number.
   */
  'excerpt': (string);
  /**
   * Optional. Period the number refers to when the page says, e.g. "2023".
   */
  'period': (string);
  /**
   * Optional. Relevance of the statistic to the topic, 0..1.
   */
  'relevance': (number);
}
