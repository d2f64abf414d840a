# The models first: the controllers import from them.
from . import models, controllers, wizard
