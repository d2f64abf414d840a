from werkzeug.exceptions import MethodNotAllowed, Unauthorized

from odoo import models
from odoo.http import request

from ..controllers.errors import API_PREFIX, error_response, is_api_endpoint


class IrHttp(models.AbstractModel):
    """Authenticates the REST API's requests by API key alone, and answers every failure of
    its routes (authentication included) with a JSON error body: the routes of other addons
    under /api/v1/ keep their own errors."""

    _inherit = "ir.http"

    @classmethod
    def _auth_method_workflow_api_key(cls):
        """An API key sent as ``Authorization: Bearer <key>``, and nothing else: Odoo's own
        ``bearer`` method also takes the browser's session, which a page of another site can
        make the browser send along with its request."""
        scheme, _space, key = request.httprequest.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthorized("No API key.")
        user_id = request.env["res.users.apikeys"]._check_credentials(scope="rpc", key=key.strip())
        if not user_id:
            raise Unauthorized("Invalid API key.")
        request.update_env(user=user_id)

    @classmethod
    def _authenticate(cls, endpoint):
        # The first step of serving a route that was found: from here on, its errors are
        # the API's to answer when the route is one of the API's.
        request.serves_workflow_api = is_api_endpoint(endpoint)
        return super()._authenticate(endpoint)

    @classmethod
    def _match(cls, path_info):
        try:
            return super()._match(path_info)
        except MethodNotAllowed as exc:
            if cls._is_api_path(path_info, exc.valid_methods or ()):
                # Raised before a route is chosen, so _handle_error never sees it; Odoo
                # answers with the response attached to the exception.
                exc.error_response = error_response(exc)
            raise

    @classmethod
    def _is_api_path(cls, path_info, methods):
        """Whether the routes that serve ``path_info`` for ``methods`` are the API's."""
        if not path_info.startswith(API_PREFIX):
            return False
        routes = request.env["ir.http"].routing_map().bind_to_environ(request.httprequest.environ)
        endpoints = [routes.match(path_info, method=method, return_rule=True)[0].endpoint for method in methods]
        return bool(endpoints) and all(is_api_endpoint(endpoint) for endpoint in endpoints)

    @classmethod
    def _handle_error(cls, exception):
        serves_api = getattr(request, "serves_workflow_api", None)
        if serves_api is None:
            # No route was found: a path under the API's prefix that no addon serves is the
            # API's to answer.
            serves_api = request.httprequest.path.startswith(API_PREFIX)
        if serves_api:
            return error_response(exception)
        return super()._handle_error(exception)
