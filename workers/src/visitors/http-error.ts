/** An error the API answers as `{ error: { code, message, field?, platformMsg? } }` (docs/edge-api.md). */
export type ApiErrorStatus = 400 | 404 | 409 | 502 | 503;

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string; platformMsg?: string; grantId?: string };
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: ApiErrorStatus,
    readonly code: string,
    message: string,
    readonly extra: { field?: string; platformMsg?: string; grantId?: string } = {},
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}
