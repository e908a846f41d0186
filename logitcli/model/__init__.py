"""The model side of logitcli: timm models on images, with weights that work offline.

Importing this package is cheap: torch, timm and PIL are imported inside the functions that need
them, so number-only commands never pay for them.
"""

from logitcli.model.classes import class_index, imagenet_names, resolve_classes
from logitcli.model.deps import INSTALL_HINT, is_installed
from logitcli.model.images import IMAGE_SUFFIXES, expand_image_arguments
from logitcli.model.names import BUNDLED_MODELS, check_model_name, list_models, suggestions
from logitcli.model.options import DEFAULT_MODEL, ModelOptions
from logitcli.model.runner import ModelRun, run_images, run_random_input
from logitcli.model.weights import LoadedModel, load_model

__all__ = [
    "BUNDLED_MODELS",
    "DEFAULT_MODEL",
    "IMAGE_SUFFIXES",
    "INSTALL_HINT",
    "LoadedModel",
    "ModelOptions",
    "ModelRun",
    "check_model_name",
    "class_index",
    "expand_image_arguments",
    "imagenet_names",
    "is_installed",
    "list_models",
    "load_model",
    "resolve_classes",
    "run_images",
    "run_random_input",
    "suggestions",
]
