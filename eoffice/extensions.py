"""Extension objects, created once and imported everywhere; `create_app` binds them to the application."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from eoffice.core.db import Base
from eoffice.core.jobs import JobQueue

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Limits are applied per view with @limiter.limit; nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
jobs = JobQueue()
