// Talking to the JSON API, one way for every page: same-origin fetch, the CSRF token (from the page's
// <meta name="csrf-token">) on every request that changes something, JSON in and out, and one error type
// whose message a person can read: the server's own `{"error": {"message": ...}}` where it sent one.

export const OFFLINE_MESSAGE = "Could not reach the server. Check your connection and try again.";

// A request that did not succeed. `status` is the HTTP status, or 0 when the server was not reached.
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }

  get offline() {
    return this.status === 0;
  }
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

// The message in an error body: `{"error": {"message": "..."}}`, or `{"error": "..."}` from simpler routes.
function serverMessage(data, status) {
  const error = data && typeof data === "object" ? data.error : null;
  const message = typeof error === "string" ? error : error?.message;
  return typeof message === "string" && message.trim() ? message : `The server refused the request (HTTP ${status}).`;
}

async function send(url, { method = "GET", body, accept = "application/json", offlineMessage } = {}) {
  const headers = { Accept: accept };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) init.body = JSON.stringify(body);
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError(offlineMessage || OFFLINE_MESSAGE, 0);
  }
}

// Send a request and read its JSON answer (an empty object when the body is not JSON); throws ApiError.
// Options: method, body (sent as JSON), offlineMessage (what to say when the server cannot be reached).
export async function requestJSON(url, options = {}) {
  const response = await send(url, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(serverMessage(data, response.status), response.status);
  return data;
}

export function getJSON(url, options = {}) {
  return requestJSON(url, { ...options, method: "GET" });
}

export function postJSON(url, body, options = {}) {
  return requestJSON(url, { ...options, method: "POST", body });
}

// A server-rendered HTML fragment (a result panel); throws ApiError like the JSON calls.
export async function getHTML(url, options = {}) {
  const response = await send(url, { ...options, method: "GET", accept: "text/html" });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    throw new ApiError(serverMessage(data, response.status), response.status);
  }
  return response.text();
}

// A fresh key for a request the server must apply once however often it is retried (a rating).
export function newIdempotencyKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
