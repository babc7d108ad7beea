"""ses2mt's preview server: SES and Mailtrap renders side by side in the browser, updated live as files change.

`create_app(src, watch=True, poll=False)` returns the Starlette app; `ses2mt preview` serves it with uvicorn.
"""

from preview_server.app import PreviewState, create_app

__all__ = ["PreviewState", "create_app"]
