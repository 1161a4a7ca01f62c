// Type definitions for ferrite-sdk: the API a Node.js handler sees under ferrite.
//
//   /** @type {import("ferrite-sdk").Handler} */
//   exports.handler = async (context, event) => `hello, ${event.fields.name}`;

/// <reference types="node" />

/** Where an event came from. */
export interface Trigger {
  /** The trigger's kind, e.g. `http`. */
  readonly kind: string;
  /** The trigger's name in the spec. */
  readonly name: string;
}

/** Fields for a log line: one object, as in nuclio. */
export type LogFields = Record<string, unknown>;

/**
 * `context.logger`: nuclio's Node.js logger. For the plain methods, one object after the
 * message is its structured fields; other arguments are formatted into the message as
 * `console.log` does. The `*With` methods take one object or key, value pairs.
 */
export declare class Logger {
  constructor(
    sink?: (
      level: "debug" | "info" | "warn" | "error",
      message: string,
      fields: LogFields | undefined,
      eventId: number | undefined,
    ) => void,
    level?: string,
  );
  /** The lowest level sent: `debug`, `info`, `warn` or `error`. */
  level: string;
  /** The id of the event this logger's lines belong to, if any. */
  readonly eventId: number | undefined;
  /** Whether a line at `level` would be sent. */
  enabled(level: string): boolean;
  /** Adds fields to every later line of this logger. */
  bind(fields: LogFields): void;
  /** A logger whose lines carry `eventId`. */
  forEvent(eventId: number): Logger;
  debug(message: unknown, ...args: unknown[]): void;
  info(message: unknown, ...args: unknown[]): void;
  warn(message: unknown, ...args: unknown[]): void;
  warning(message: unknown, ...args: unknown[]): void;
  error(message: unknown, ...args: unknown[]): void;
  debugWith(message: unknown, fields?: LogFields): void;
  debugWith(message: unknown, ...keysAndValues: unknown[]): void;
  infoWith(message: unknown, fields?: LogFields): void;
  infoWith(message: unknown, ...keysAndValues: unknown[]): void;
  warnWith(message: unknown, fields?: LogFields): void;
  warnWith(message: unknown, ...keysAndValues: unknown[]): void;
  warningWith(message: unknown, fields?: LogFields): void;
  warningWith(message: unknown, ...keysAndValues: unknown[]): void;
  errorWith(message: unknown, fields?: LogFields): void;
  errorWith(message: unknown, ...keysAndValues: unknown[]): void;
}

/** Headers, looked up in any case (`headers["Content-Type"]` finds `content-type`). */
export type Headers = Readonly<Record<string, string>>;

/** What {@link Event}'s constructor takes, for a handler's own tests. */
export interface EventInit {
  body?: Buffer | Uint8Array | string;
  contentType?: string;
  headers?: Record<string, string>;
  fields?: Record<string, string>;
  method?: string;
  path?: string;
  url?: string;
  id?: number;
  trigger?: Trigger;
  timestampMs?: number;
  deadlineMs?: number;
}

/** One request for a handler (nuclio's event). */
export declare class Event {
  constructor(init?: EventInit);
  /** Unique within the processor's life. */
  readonly id: number;
  readonly trigger: Trigger;
  /** e.g. `POST`. */
  readonly method: string;
  /** The path of the URL, e.g. `/a/b`. */
  readonly path: string;
  /** Path plus query, as requested. */
  readonly url: string;
  /** Query parameters, percent-decoded; the first value of a repeated name. */
  readonly fields: Readonly<Record<string, string>>;
  /** Request headers; names in lower case, looked up in any case. */
  readonly headers: Headers;
  /** The `content-type` header, or empty. */
  readonly contentType: string;
  /** nuclio's name for `contentType`. */
  readonly content_type: string;
  readonly "content-type": string;
  /** The request body (`JSON.parse(event.body)` works, as in nuclio). */
  readonly body: Buffer;
  /** The body parsed as JSON, once; `undefined` when empty; throws when not JSON. */
  readonly json: any;
  /** Whether the content type is `application/json`. */
  readonly isJson: boolean;
  /** The body's length in bytes. */
  readonly size: number;
  /** When the trigger received the event. */
  readonly timestamp: Date;
  readonly timestampMs: number;
  /** When the processor gives up on the event, or `null`. */
  readonly deadline: Date | null;
  readonly deadlineMs: number;
  /** A header's value, the name in any case. */
  getHeader(name: string): string | undefined;
  getHeader<T>(name: string, defaultValue: T): string | T;
}

/** A full answer (nuclio's `context.Response`), arguments in nuclio's order. */
export declare class Response {
  constructor(
    body?: unknown,
    headers?: Record<string, unknown> | null,
    contentType?: string | null,
    statusCode?: number,
  );
  body: unknown;
  headers: Record<string, unknown>;
  contentType: string | null;
  statusCode: number;
  /** nuclio's names. */
  content_type: string | null;
  status_code: number;
}

/**
 * What a handler may answer with: text (`text/plain`), bytes
 * (`application/octet-stream`), a {@link Response}, a `[status, body]` pair, `undefined`
 * or `null` (an empty 200), or anything else JSON can encode (`application/json`).
 */
export type HandlerResult =
  | string
  | Buffer
  | Uint8Array
  | ArrayBuffer
  | Response
  | [number, unknown]
  | null
  | undefined
  | object
  | number
  | boolean;

/** What a handler and its `initContext` share within one worker. */
export declare class Context {
  constructor(init?: {
    logger?: Logger;
    workerId?: number;
    functionName?: string;
    userData?: Record<string, any>;
  });
  /** Per-worker state, set up in `initContext`. */
  userData: Record<string, any>;
  /** This worker's index, `0` to `numWorkers - 1`. */
  readonly workerId: number;
  /** The spec's `metadata.name`. */
  readonly functionName: string;
  /** Logs to the processor, tagged with the worker and (in a handler) the event. */
  readonly logger: Logger;
  /** The current event's trigger (in a handler). */
  readonly trigger: Trigger | undefined;
  /** `new context.Response(body, headers, contentType, statusCode)`. */
  readonly Response: typeof Response;
  /** Answers the current event (nuclio's way); an `Error` answers 500. */
  callback(result?: HandlerResult | Error): void;
  /** The context of one event, answering it through `answer`. */
  forEvent(event: Event, answer: (result?: unknown) => void): Context;
}

/**
 * A handler: answers by calling `context.callback(result)`, by returning a result, or by
 * returning a promise of one (resolved `undefined` is an empty 200). A handler that
 * returns `undefined` (not a promise) must call `context.callback`.
 */
export type Handler = (
  context: Context,
  event: Event,
) => HandlerResult | void | Promise<HandlerResult | void>;

/** `initContext(context)`: runs once per worker, before its first event. */
export type InitContext = (context: Context) => void | Promise<void>;

export declare const version: string;
