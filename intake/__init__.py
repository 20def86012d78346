"""The one intake service every channel calls: an `Intake` value in, a recorded case out."""
