/** Record names, set identifiers and record values, as Route 53 takes them: one place for every input that holds one. */

export type RecordType = 'A' | 'AAAA' | 'CNAME';

const LABELS = String.raw`([a-zA-Z0-9_](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.?$`;

/** A host name: labels of letters, digits, - and _ (at most 253 characters). */
export const HOST_NAME = new RegExp(String.raw`^(?=.{1,253}\.?$)${LABELS}`);

/** A record name: a host name, or a wildcard one (`*.example.com`). */
export const DNS_NAME = new RegExp(String.raw`^(?=.{1,253}\.?$)(\*\.)?${LABELS}`);

/** 1 to 128 characters, any (Route 53's SetIdentifier); a line break cannot pass through inputs and outputs. */
export const SET_ID = /^[^\r\n]{1,128}$/;

/** A valid value of a record of this type: an IPv4 address, an IPv6 address, or a name. */
export function validValue(type: RecordType, value: string): boolean {
  if (type === 'A') return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value);
  if (type === 'AAAA') return /^[0-9a-fA-F:]+$/.test(value) && value.includes(':');
  return DNS_NAME.test(value);
}
