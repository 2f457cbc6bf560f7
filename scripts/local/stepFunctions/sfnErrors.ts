/**
 * An error the Step Functions API returns to the caller: HTTP 400 with `{"__type": name, "message"}`, which
 * the AWS SDK raises as the exception class of that name (e.g. `TaskTimedOut`, `ExecutionDoesNotExist`).
 */
export class SfnError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}
