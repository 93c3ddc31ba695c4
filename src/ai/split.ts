// Splitting a job's requests into provider batches that each fit the provider's limits (request count and body
// bytes). Pure: sizes in, part numbers out. Order is kept, so the split of the same items is always the same (a
// retried collect assigns every item the part it had).

export interface BatchLimits {
  maxRequests: number;
  maxBytes: number;
}

/** Bytes a request adds to a batch body beyond its prompt (custom id, params, JSON punctuation). */
export const REQUEST_OVERHEAD_BYTES = 200;

export class RequestTooLargeError extends Error {}

/** The part of each request, in order; a part closes when the next request would break either limit. */
export function assignParts(requestBytes: number[], limits: BatchLimits): { parts: number[]; count: number } {
  const parts: number[] = [];
  let part = 0;
  let n = 0;
  let bytes = 0;
  requestBytes.forEach((b, i) => {
    if (b > limits.maxBytes) throw new RequestTooLargeError(`request ${i} is ${b} bytes, more than one batch may hold (${limits.maxBytes})`);
    if (n > 0 && (n + 1 > limits.maxRequests || bytes + b > limits.maxBytes)) {
      part++;
      n = 0;
      bytes = 0;
    }
    n++;
    bytes += b;
    parts.push(part);
  });
  return { parts, count: requestBytes.length ? part + 1 : 0 };
}
