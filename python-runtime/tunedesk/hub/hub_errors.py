"""What the Hub's refusals mean for the user, and what to do. Never echoes a token."""

from __future__ import annotations

import httpx
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from ..errors import ConfigError, TuneDeskError

TOKEN_HINT = (
    "Accept the model's licence on its Hub page with your account, create an access token (read) at "
    "https://huggingface.co/settings/tokens, then give it to TuneDesk: in the app, the token field of the "
    "Model step; on the command line, the HF_TOKEN environment variable or --token-stdin (never as an argument)."
)


class HubAuthError(TuneDeskError):
    kind = "auth"


class HubNotFoundError(TuneDeskError):
    kind = "not_found"


class HubNetworkError(TuneDeskError):
    kind = "network"


def translate(
    exc: BaseException, repo_id: str, revision: str, endpoint: str, has_token: bool
) -> BaseException:
    """A huggingface_hub/httpx failure as a TuneDesk error with a hint; anything else unchanged."""
    if isinstance(exc, OfflineModeIsEnabled):
        return HubNetworkError(
            "Offline mode is on (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set), so nothing can be downloaded.",
            "Unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE where TuneDesk is started, then pull again.",
        )
    if isinstance(exc, GatedRepoError):
        told = "The token given has no access to it." if has_token else "No token was given."
        return HubAuthError(
            f"{repo_id} is a gated model: the Hub serves its files only to accounts that accepted its licence. {told}",
            TOKEN_HINT,
        )
    if isinstance(exc, RevisionNotFoundError):
        return HubNotFoundError(
            f"{repo_id} has no revision {revision!r} on {endpoint}.",
            "Use a branch, tag or commit that exists (the default is main).",
        )
    if isinstance(exc, RepositoryNotFoundError):
        return HubNotFoundError(
            f"No model {repo_id!r} on {endpoint} (or it is private and the token given, if any, cannot see it).",
            "Check the spelling: <organisation>/<name>, as in the address of its Hub page. For a private model, give a token.",
        )
    if (
        isinstance(exc, HfHubHTTPError)
        and exc.response is not None
        and exc.response.status_code in (401, 403)
    ):
        return HubAuthError(
            f"{endpoint} refused access to {repo_id} ({exc.response.status_code}).", TOKEN_HINT
        )
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return HubNetworkError(
            f"{endpoint} answered {status} for {repo_id}.",
            "Try again later; the partial download is kept and resumes.",
        )
    if isinstance(exc, HFValidationError):
        return ConfigError(
            f"{repo_id!r} is not a Hub repo id ({exc}).",
            "Write it as <organisation>/<name>, e.g. Qwen/Qwen2.5-0.5B-Instruct.",
        )
    if isinstance(exc, (httpx.TransportError, ConnectionError)):
        return HubNetworkError(
            f"Could not reach {endpoint} ({type(exc).__name__}).",
            "Check the connection. Behind a firewall, set the Hub endpoint to a mirror (the app's Settings, or HF_ENDPOINT). "
            "What was downloaded is kept; pulling again resumes.",
        )
    return exc
