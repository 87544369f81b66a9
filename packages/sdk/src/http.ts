// The HTTP transport: JSON in and out, errors turned into the typed classes of errors.ts.
import { errorFromResponse, PerpdexServerError } from "./errors.ts";

/**
 * Options of the HTTP transport.
 *
 * @example
 * const options: HttpOptions = { url: "http://127.0.0.1:8080", timeoutMs: 5_000 };
 */
export interface HttpOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Abort a request after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Another fetch (tests, proxies); default the global fetch. */
  readonly fetch?: typeof fetch;
}

/**
 * Sends JSON requests to the API.
 *
 * @example
 * const http = new HttpTransport({ url: "http://127.0.0.1:8080" });
 * const time = await http.request<{ serverTimeMs: number }>("GET", "/v1/time");
 */
export class HttpTransport {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: HttpOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** One request; resolves to the parsed JSON body, rejects with a `PerpdexError`. */
  async request<Result>(method: "GET" | "POST", path: string, options: { body?: unknown; query?: Readonly<Record<string, string | number | undefined>>; headers?: Readonly<Record<string, string>> } = {}): Promise<Result> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(name, String(value));
    const target = `${this.url}${path}${query.size === 0 ? "" : `?${query.toString()}`}`;
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetch(target, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new PerpdexServerError({ code: "NETWORK", message: `${method} ${target} failed: ${(error as Error).message}`, cause: error });
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      body = { code: `HTTP_${response.status}`, message: text.slice(0, 200) };
    }
    if (!response.ok) throw errorFromResponse(response.status, body, response.headers.get("retry-after"));
    return body as Result;
  }
}
