// The custom search attributes every Sitesweep namespace needs, and their registration on any server (the dev stack
// and the worker both call it; Temporal Cloud forbids it, which is a warning, not an error).
import type { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/** The few logger methods used here (pino's Logger and the stack's Logger both fit). */
interface Log {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}
const silent: Log = { info() {}, warn() {} };

/** Custom search attributes every Sitesweep namespace needs (all Keyword). */
export const SEARCH_ATTRIBUTES = ['SiteHost', 'AuditStage', 'AiJobStatus'] as const;
// temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD (type-only import of the proto enum).
const KEYWORD = 2 as temporal.api.enums.v1.IndexedValueType;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** gRPC status code of an error thrown by Connection services, if any. */
function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Anything with the operator service: a client Connection or a worker NativeConnection. */
export type OperatorConnection = Pick<Connection, 'operatorService'>;

/** How to add the attributes by hand where the server forbids it (Temporal Cloud: only tcld or the Cloud UI can). */
export function searchAttributesHint(namespace: string, names: readonly string[] = SEARCH_ATTRIBUTES): string {
  const flags = names.map((n) => `--search-attribute "${n}=Keyword"`).join(' ');
  return (
    `Add them once with \`tcld namespace search-attributes add --namespace ${namespace} ${flags}\` ` +
    `(Temporal Cloud; or in the Cloud UI: Namespaces → ${namespace} → Search Attributes, type Keyword), ` +
    `or \`temporal operator search-attribute create --namespace ${namespace} ${names.map((n) => `--name ${n} --type Keyword`).join(' ')}\` on a self-hosted cluster. ` +
    `Until then no audit can start: the workflows set these attributes, and Temporal refuses a start that names an ` +
    `unregistered one (the API answers 503 search_attributes_missing).`
  );
}

/**
 * The attribute a refused start named, when Temporal refused it because the namespace has no such search attribute
 * (INVALID_ARGUMENT "Namespace ns has no mapping defined for search attribute SiteHost"); null for any other error.
 */
export function missingSearchAttribute(err: unknown): { namespace: string | null; name: string } | null {
  for (let e = err as { message?: unknown; details?: unknown; cause?: unknown } | null, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    for (const text of [e.details, e.message]) {
      if (typeof text !== 'string') continue;
      const m = /(?:Namespace (\S+) has )?no mapping defined for search attribute (\S+)/i.exec(text);
      if (m) return { namespace: m[1] ?? null, name: m[2] };
    }
  }
  return null;
}

// gRPC codes of a server that does not let this client manage search attributes: 7 PERMISSION_DENIED (Temporal Cloud,
// an authorizer), 12 UNIMPLEMENTED (a proxy without the operator service), 16 UNAUTHENTICATED.
const FORBIDDEN_CODES = new Set([7, 12, 16]);

/**
 * Register SiteHost/AuditStage/AiJobStatus as Keyword in `namespace` when missing (idempotent, race-safe).
 * A server that forbids it (Temporal Cloud answers PermissionDenied) is not an error: we warn once with how to add them.
 * Returns the names still missing (empty when all are there).
 */
export async function ensureSearchAttributes(connection: OperatorConnection, namespace: string, log: Log = silent): Promise<string[]> {
  let missing: string[];
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    missing = SEARCH_ATTRIBUTES.filter((name) => !customAttributes || !(name in customAttributes));
  } catch (err) {
    if (!FORBIDDEN_CODES.has(grpcCode(err) ?? -1)) throw err;
    log.warn({ namespace, code: grpcCode(err) }, `cannot list search attributes on this server (${firstErrorLine(err)}). ${searchAttributesHint(namespace)}`);
    return [...SEARCH_ATTRIBUTES];
  }
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
    });
    log.info({ namespace, added: missing }, 'registered search attributes');
  } catch (err) {
    // 6 = ALREADY_EXISTS: another process registered them first.
    if (grpcCode(err) === 6) return [];
    if (!FORBIDDEN_CODES.has(grpcCode(err) ?? -1)) throw err;
    log.warn({ namespace, missing, code: grpcCode(err) }, `this server does not allow registering search attributes (${firstErrorLine(err)}). ${searchAttributesHint(namespace, missing)}`);
    return missing;
  }
  return [];
}

function firstErrorLine(err: unknown): string {
  return (errorMessage(err).split('\n')[0] ?? '').slice(0, 200);
}
