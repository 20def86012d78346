"""Offline speech-to-text with Vosk: model registry, streaming recogniser, audio conversion.

Nothing here touches the network at run time: models are directories configured per language
(`HOTLINE_SPEECH_MODELS`) or installed by `hotline speech models install` from a zip.
"""
