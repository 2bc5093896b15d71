"""The one exception type the domain raises; the app turns it into Plivo's error body."""


class ApiError(Exception):
    """A failure Plivo answers with `{"api_id", "error"}` and an HTTP status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)
