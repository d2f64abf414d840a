from werkzeug.exceptions import MethodNotAllowed

from odoo import models
from odoo.http import request

from ..controllers.errors import API_PREFIX, error_response


class IrHttp(models.AbstractModel):
    """Answers every failure under /api/v1/ (authentication included) with a JSON error body."""

    _inherit = "ir.http"

    @classmethod
    def _match(cls, path_info):
        try:
            return super()._match(path_info)
        except MethodNotAllowed as exc:
            if path_info.startswith(API_PREFIX):
                # Raised before a route is chosen, so _handle_error never sees it; Odoo
                # answers with the response attached to the exception.
                exc.error_response = error_response(exc)
            raise

    @classmethod
    def _handle_error(cls, exception):
        if request.httprequest.path.startswith(API_PREFIX):
            return error_response(exception)
        return super()._handle_error(exception)
