// History <-> proto JSON (the format of `temporal workflow show -o json`), used by scripts/record-histories.ts and
// test/replay/replay.test.ts.
//
// Why not historyToJSON/historyFromJSON from @temporalio/common/lib/proto-utils: in this install @temporalio/common and
// @temporalio/proto each get their own nested copy of protobufjs 8 (the hoisted one is 7.x, needed elsewhere), and
// protojson's `type instanceof Type` check fails across copies ("TypeError: type must be a Type"). That also breaks
// Worker.runReplayHistories when it is handed JSON (it calls historyFromJSON). So we run protojson from the very copy
// of protobufjs that @temporalio/proto uses, and hand the replayer a decoded History.
import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protoRequire = createRequire(require.resolve('@temporalio/proto'));
const protojson = protoRequire('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

/** Older CLIs wrote enum values in PascalCase (`WorkflowExecutionStarted`); proto JSON wants `EVENT_TYPE_…`. */
function fixEventType(e: Record<string, unknown>): Record<string, unknown> {
  const t = e.eventType;
  if (typeof t !== 'string' || t.startsWith('EVENT_TYPE_')) return e;
  return { ...e, eventType: `EVENT_TYPE_${t.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}` };
}

export function historyFromJson(json: unknown): History {
  const h = json as { events?: unknown };
  if (typeof h !== 'object' || h === null || !Array.isArray(h.events)) throw new TypeError('Invalid history: expected an object with an array of events');
  const loaded = protojson.fromJson(historyType, { events: (h.events as Array<Record<string, unknown>>).map(fixEventType) }, { ignoreUnknownFields: true });
  if (!loaded) throw new TypeError('Invalid history');
  return loaded as History;
}
