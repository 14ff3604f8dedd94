"""The database around SQLAlchemy: engine set-up (`engine`) and online backup and restore (`backup`)."""
