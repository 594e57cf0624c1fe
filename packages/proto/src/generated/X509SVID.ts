// Original file: protos/spiffe/workload/workload.proto


/**
 * The X509SVID message carries a single SVID and all associated
 * information, including CA bundles.
 */
export interface X509SVID {
  /**
   * The SPIFFE ID of the SVID in this entry
   */
  'spiffe_id'?: (string);
  /**
   * ASN.1 DER encoded certificate chain. MAY include intermediates,
   * the leaf certificate (or SVID itself) MUST come first.
   */
  'x509_svid'?: (Buffer | Uint8Array | string);
  /**
   * ASN.1 DER encoded PKCS#8 private key. MUST be unencrypted.
   */
  'x509_svid_key'?: (Buffer | Uint8Array | string);
  /**
   * CA certificates belonging to the Trust Domain
   * ASN.1 DER encoded
   */
  'bundle'?: (Buffer | Uint8Array | string);
  /**
   * An operator-specified string used to provide guidance on how this
   * identity should be used by a workload when more than one SVID is returned.
   */
  'hint'?: (string);
}

/**
 * The X509SVID message carries a single SVID and all associated
 * information, including CA bundles.
 */
export interface X509SVID__Output {
  /**
   * The SPIFFE ID of the SVID in this entry
   */
  'spiffe_id': (string);
  /**
   * ASN.1 DER encoded certificate chain. MAY include intermediates,
   * the leaf certificate (or SVID itself) MUST come first.
   */
  'x509_svid': (Buffer);
  /**
   * ASN.1 DER encoded PKCS#8 private key. MUST be unencrypted.
   */
  'x509_svid_key': (Buffer);
  /**
   * CA certificates belonging to the Trust Domain
   * ASN.1 DER encoded
   */
  'bundle': (Buffer);
  /**
   * An operator-specified string used to provide guidance on how this
   * identity should be used by a workload when more than one SVID is returned.
   */
  'hint': (string);
}
