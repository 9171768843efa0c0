"""People who sign in to the admin, and the stores each may see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afterward.commerce.models import Store
from afterward.storage.db import Base
from afterward.storage.types import BigID, UTCDateTime, utcnow

admin_user_stores = Table(
    "admin_user_stores",
    Base.metadata,
    Column("user_id", ForeignKey("admin_users.id", ondelete="CASCADE"), primary_key=True),
    Column("store_id", ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # An owner sees every store; others see the stores they are given.
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    stores: Mapped[list[Store]] = relationship(secondary=admin_user_stores, lazy="selectin")
