"""The PyTorch vocabulary GradGuard knows, in one place: the analysis, the fixes and the hovers read it.

Names are canonical (`names.canonical`): `torch.no_grad`, not `torch.autograd.grad_mode.no_grad`.
Each table says what a name is evidence of; nothing else in the package spells these lists.
"""

from __future__ import annotations

import re
import sys

# ---- grad mode ---------------------------------------------------------------------------------
GRAD_MODE_APIS = frozenset({"torch.no_grad", "torch.enable_grad", "torch.set_grad_enabled", "torch.inference_mode"})
GRAD_OFF_APIS = ("torch.no_grad", "torch.inference_mode")  # turn gradients off by themselves

# ---- what makes a value a model ------------------------------------------------------------------
MODULE_BASES = ("torch.nn.Module", "torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict")
FRAMEWORK_MODULE_SUFFIXES = ("LightningModule", "PreTrainedModel", "ModelMixin")
# Methods that only a module has (called with these argument counts): the receiver is a model, in
# code that imports torch (a NumPy class may have `train()` and `eval()` too).
MODULE_METHODS = {
    "eval": (0,),
    "train": (0, 1),
    "parameters": (0, 1),
    "named_parameters": (0, 1, 2),
    "state_dict": (0,),
    "load_state_dict": (1, 2),
    "modules": (0,),
    "children": (0,),
}
# Optimizers, LR schedulers and grad scalers have these too: their receiver is a model only when its name is
# not one of those.
SHARED_STATE_METHODS = ("state_dict", "load_state_dict")
# Calls that return their (model) argument or receiver, mode unchanged.
SAME_MODEL_FUNCTIONS = (
    "torch.compile",
    "torch.nn.DataParallel",
    "torch.nn.parallel.DataParallel",
    "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.parallel.distributed.DistributedDataParallel",
    "copy.deepcopy",
    # OpenMMLab's DataParallel and DistributedDataParallel subclasses, and the CPU one of OpenVINO's mmdetection
    "mmcv.parallel.MMDataParallel",
    "mmcv.parallel.MMDistributedDataParallel",
    "mmcv.parallel.data_parallel.MMDataParallel",
    "mmcv.parallel.distributed.MMDistributedDataParallel",
    "mmengine.model.MMDistributedDataParallel",
    "mmdet.parallel.MMDataCPU",
)
COPYING_FUNCTIONS = ("copy.deepcopy",)  # of those, the ones that return another model (same weights, own mode)
SAME_MODEL_METHODS = (
    "to",
    "cuda",
    "cpu",
    "float",
    "half",
    "double",
    "bfloat16",
    "eval",
    "train",
    "requires_grad_",
    "share_memory",
)
# Factories of fresh (training-mode) modules.
FRESH_MODEL_FACTORIES = ("torchvision.models.", "timm.create_model", "open_clip.create_model")
# OpenMMLab's registry builders of whole models (`build_detector(cfg.model)` of mmdet, `build_classifier` of
# mmcls, `build_segmentor` of mmseg, ...): each returns a new module built from a config, in training mode.
OPENMMLAB_MODEL_BUILDER = re.compile(
    r"^mm\w+\.models(?:\.builder)?\.build_(?:detector|classifier|segmentor|posenet|recognizer|localizer|model)$"
)
# Keyword arguments with which a factory returns trained weights (`resnet50(pretrained=True)`,
# `resnet50(weights=ResNet50_Weights.DEFAULT)`, `timm.create_model(name, pretrained=True)`); a false or None
# value does not.
PRETRAINED_KEYWORDS = frozenset({"pretrained", "weights"})
PRETRAINED_PACKAGES = ("transformers.", "diffusers.", "peft.", "sentence_transformers.")
# `from_pretrained` of these gives no module: `AutoTokenizer`, `AutoProcessor`, `AutoConfig`, a diffusers
# pipeline (its `__call__` already runs under no_grad), a noise scheduler, a transformers v5 tokenizer
# (`TokenizersBackend`, `SentencePieceBackend`, `MistralCommonBackend`).
NOT_MODELS_FROM_PRETRAINED = (
    "Tokenizer",
    "TokenizerFast",
    "Processor",
    "FeatureExtractor",
    "Extractor",
    "Config",
    "Pipeline",
    "Scheduler",
    "GenerationConfig",
    "Backend",
)
# Loaders that give back a whole module with its trained weights, in whatever mode it was saved.
MODULE_LOADERS = frozenset({"torch.hub.load", "torch.jit.load", "torch.jit.script", "torch.jit.trace"})
# `torch.load` gives a whole module only when the code then calls what it returned (a state dict is never called).
PICKLE_LOADERS = frozenset({"torch.load"})
# Loaders that give a module back in the mode it was saved in (`training` is pickled with it, and TorchScript
# keeps it): training mode for a module saved during training.
SAVED_MODE_LOADERS = frozenset({"torch.load", "torch.jit.load"})
# Methods that load trained weights into their receiver, leaving its mode as it was.
WEIGHT_LOADING_METHODS = frozenset({"load_state_dict", "load_params"})
# Library functions that load trained weights into the module given as their first argument (or `model=`) and
# leave its mode as it was, like `load_state_dict`: mmcv/mmengine `load_checkpoint(model, filename)`, timm's
# `load_checkpoint(model, path)`, safetensors' `load_model(model, filename)`, accelerate's
# `load_checkpoint_in_model(model, checkpoint)`.
WEIGHT_LOADING_FUNCTIONS = frozenset(
    {
        "mmcv.runner.load_checkpoint",
        "mmcv.runner.checkpoint.load_checkpoint",
        "mmcv.runner.load_state_dict",
        "mmcv.runner.checkpoint.load_state_dict",
        "mmengine.runner.load_checkpoint",
        "mmengine.runner.checkpoint.load_checkpoint",
        "mmengine.runner.load_state_dict",
        "mmengine.runner.checkpoint.load_state_dict",
        "timm.models.load_checkpoint",
        "timm.models.helpers.load_checkpoint",
        "timm.models._helpers.load_checkpoint",
        "safetensors.torch.load_model",
        "accelerate.load_checkpoint_in_model",
        "accelerate.utils.load_checkpoint_in_model",
    }
)
# Library functions handed a model that never change its mode: OpenMMLab's "is it wrapped?" test and its
# fp16 conversion (casts parameters, patches `forward`).
MODE_KEEPING_FUNCTIONS = frozenset(
    {
        "mmcv.parallel.is_module_wrapper",
        "mmengine.model.is_model_wrapper",
        "mmcv.runner.wrap_fp16_model",
        "mmcv.runner.fp16_utils.wrap_fp16_model",
    }
)
# Class methods that return a module with trained weights: `Model.from_pretrained(...)`, Lightning's
# `load_from_checkpoint`.
LOADED_MODEL_CONSTRUCTORS = ("from_pretrained", "load_from_checkpoint")
# How the loaders above are written, for the text gate (`T.load` is missed: a cheap gate, not a parser).
LOADER_TOKENS = (
    "torch.load(",
    "from_pretrained(",
    "load_from_checkpoint(",
    "pretrained=True",
    "_Weights.",
    'weights="DEFAULT"',
    "weights='DEFAULT'",
)
# Helpers of the user's code that load weights into the model they are given (`resume_from_ckpt(path, model)`,
# `load_checkpoint(model, path)`): like `load_state_dict`, they leave its mode alone.
WEIGHT_LOADER_NAME = re.compile(
    r"^(?:load|resume|restore)(?:_|$)|_(?:load|resume|restore)_?(?:ckpt|checkpoint|weights|state)"
)
# Methods of a module class that run its submodules: a forward pass like `model(x)`.
FORWARD_METHODS = frozenset({"forward", "encode", "decode", "generate"})
STATELESS_LAYERS = frozenset(
    {
        "ReLU",
        "ReLU6",
        "GELU",
        "SiLU",
        "Tanh",
        "Sigmoid",
        "Softmax",
        "LogSoftmax",
        "Softplus",
        "Mish",
        "Hardswish",
        "Hardsigmoid",
        "ELU",
        "LeakyReLU",
        "Identity",
        "Flatten",
        "Unflatten",
        "MaxPool1d",
        "MaxPool2d",
        "MaxPool3d",
        "AvgPool1d",
        "AvgPool2d",
        "AvgPool3d",
        "AdaptiveAvgPool1d",
        "AdaptiveAvgPool2d",
        "AdaptiveAvgPool3d",
        "AdaptiveMaxPool1d",
        "AdaptiveMaxPool2d",
        "Upsample",
        "PixelShuffle",
        "PixelUnshuffle",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
        "ZeroPad2d",
        "ConstantPad1d",
        "ConstantPad2d",
        "ReflectionPad2d",
        "CosineSimilarity",
        "PairwiseDistance",
        "Softmax2d",
        "GLU",
    }
)
MODE_DEPENDENT_LAYERS = (
    "BatchNorm",
    "SyncBatchNorm",
    "Transformer",
    "LSTM",
    "GRU",
    "RNN",
    "MultiheadAttention",
    "Sequential",
    "ModuleList",
    "ModuleDict",
)

# What behaves differently in training mode (TORCH-FACTS 9 measures Dropout and BatchNorm; the
# others apply dropout of their own, a random slope (RReLU), or running statistics when asked to track them).
DROPOUT_LAYERS = ("Dropout", "AlphaDropout", "FeatureAlphaDropout")
BATCH_NORM_LAYERS = ("BatchNorm", "SyncBatchNorm", "LazyBatchNorm")
LAYERS_WITH_DROPOUT = ("Transformer", "LSTM", "GRU", "RNN", "MultiheadAttention")
INSTANCE_NORM_LAYERS = ("InstanceNorm", "LazyInstanceNorm")  # with `track_running_stats=True`
# Packages whose calls build no modules (anything else imported may hide one).
BUILD_NO_MODULES = frozenset(
    {
        "math",
        "numpy",
        "einops",
        "typing",
        "functools",
        "itertools",
        "operator",
        "collections",
        "copy",
        "warnings",
        "logging",
        "random",
        "os",
        "sys",
        "time",
        "dataclasses",
        "abc",
    }
)
FUNCTIONAL_DROPOUTS = frozenset(
    f"torch.nn.functional.{name}"
    for name in ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")
)

# ---- which code is PyTorch code ------------------------------------------------------------------
# Import roots of libraries built on torch: duck typing (`x.eval()` makes `x` a model) counts only
# in a file that imports one of them, a module of its own project, or a library we do not know.
TORCH_ROOTS = frozenset(
    {
        "torch",
        "torchvision",
        "torchaudio",
        "torchtext",
        "transformers",
        "diffusers",
        "timm",
        "lightning",
        "pytorch_lightning",
        "peft",
        "accelerate",
        "open_clip",
        "sentence_transformers",
        "ignite",
        "pytorch_pfn_extras",
        "trl",
        "ultralytics",
        "fairseq",
        "detectron2",
        "torch_geometric",
        "deepspeed",
        "mmcv",
        "mmengine",
        "mmdet",
        "mmcls",
        "mmseg",
        "mmpretrain",
        "mmpose",
        "mmaction",
        "mmdet3d",
        "mmocr",
        "mmrotate",
        "mmedit",
        "mmagic",
    }
)
# Libraries known not to be PyTorch: importing them says nothing about torch.
NON_TORCH_ROOTS = frozenset(
    {
        "numpy",
        "np",
        "pandas",
        "scipy",
        "sklearn",
        "matplotlib",
        "seaborn",
        "jax",
        "flax",
        "optax",
        "tensorflow",
        "keras",
        "tqdm",
        "PIL",
        "cv2",
        "yaml",
        "requests",
        "click",
        "absl",
        "numba",
        "sympy",
        "networkx",
        "xgboost",
        "lightgbm",
        "pytest",
        "rich",
        "tabulate",
        "h5py",
    }
) | frozenset(getattr(sys, "stdlib_module_names", ()))
# Never files of the analysed project (cross-file summaries are not looked up for them).
THIRD_PARTY_ROOTS = TORCH_ROOTS | NON_TORCH_ROOTS

# ---- what needs gradients ----------------------------------------------------------------------
# (higher's differentiable optimisers take gradient steps that are themselves differentiated)
GRADIENT_CONSUMERS = (
    "torch.autograd.grad",
    "torch.autograd.backward",
    "torch.func.grad",
    "torch.func.vjp",
    "torch.func.jacrev",
    "torch.func.grad_and_value",
    "higher.get_diff_optim",
    "higher.innerloop_ctx",
)
GRADIENT_CONSUMER_PREFIXES = ("torch.autograd.functional.",)
GRADIENT_ATTRS = frozenset(
    {
        "zero_grad",
        "backward",
        "manual_backward",
        "register_hook",
        "register_full_backward_hook",
        "register_backward_hook",
        "requires_grad_",
        "retain_grad",
    }
)
# A keyword argument of a forward pass that asks the model to attack its input (`model(x, y, make_adv=True)`,
# robustness' `AttackerModel`; `attack=`, `adversarial=True`): the attack differentiates the input inside.
ATTACK_KEYWORD = re.compile(r"(?:^|_)(?:adv|adversarial|attack|attacker)(?:$|_)", re.IGNORECASE)
BACKWARD_METHODS = ("backward", "manual_backward")  # `loss.backward()`, `accelerator.backward(loss)`
OPTIMIZER_RECEIVERS = ("opt", "scaler")  # `opt.step()`, `scaler.step(optimizer)`; and any name with "optim"

# ---- what is evaluation ------------------------------------------------------------------------
# Names of data that is evaluation data (`val_loader`, `test_dl`, `self.eval_dataloader`, `testloader`,
# `dev_batches`, `val_images`): a loop over it is an evaluation loop.
EVALUATION_DATA = re.compile(
    r"(?:^|_)(?:val|valid|validation|test|testing|eval|evaluation|dev)_?"
    r"(?:loader|dl|dataloader|data_loader|iter|batches|set|ds|dset|dataset|data|gen|images|samples|examples|inputs)s?(?:$|_)"
    r"|(?:^|_)(?:loader|dataloader|dl)_?(?:val|valid|test|eval)(?:$|_)",
    re.IGNORECASE,
)
# Tokens that name evaluation data, for the text gate (substrings of what EVALUATION_DATA matches).
EVALUATION_DATA_TOKENS = (
    "val_loader",
    "valid_loader",
    "test_loader",
    "eval_loader",
    "val_dl",
    "test_dl",
    "valloader",
    "testloader",
    "val_data",
    "test_data",
    "eval_data",
    "eval_dataloader",
    "val_dataloader",
    "test_dataloader",
)
# Methods a framework calls under no_grad with the model in eval mode (Lightning, TORCH-FACTS 23).
FRAMEWORK_EVAL_HOOKS = frozenset(
    {
        "validation_step",
        "test_step",
        "predict_step",
        "on_validation_epoch_end",
        "on_test_epoch_end",
        "on_predict_epoch_end",
        "validation_epoch_end",
        "test_epoch_end",
        "on_validation_batch_end",
        "on_test_batch_end",
    }
)
# Methods a framework calls after switching the model to training mode (Lightning's fit loop calls `train()`).
FRAMEWORK_TRAIN_HOOKS = frozenset({"training_step"})
# Keyword arguments whose function a framework calls under no_grad with the model in eval mode:
# `Evaluator(loader, model, eval_func=step)` of pytorch-pfn-extras.
FRAMEWORK_EVAL_CALLBACKS = frozenset({"eval_func"})
# Names of functions that usually run a model for its output (`generate_text`, `sample_images`): worth walking
# to look for evidence, but no evidence themselves (a decoder's `generate` may be trained through).
INFERENCE_NAME_PREFIXES = ("generate", "sample", "translate")
# Model bases of libraries whose own entry points (`generate()`, a diffusers pipeline's `__call__`) run under
# no_grad: a helper method of such a model that nothing in its file calls is called from there.
NO_GRAD_CALLER_MODEL_BASES = ("PreTrainedModel", "ModelMixin")
# Calls whose result carries no graph: a forward pass read through one of them is inference.
INFERENCE_SINK_METHODS = frozenset(
    {"argmax", "argmin", "topk", "item", "tolist", "numpy", "detach", "size", "dim", "numel"}
)
# Attributes whose read carries no graph: `out.data`, `out.shape`.
INFERENCE_SINK_ATTRS = frozenset({"data", "shape", "dtype", "device", "ndim", "requires_grad", "is_cuda"})
# Functions that print, log or save what they are given, or turn it into a plain value.
INFERENCE_SINK_FUNCTIONS = frozenset(
    {"torch.save", "torchvision.utils.save_image", "torchvision.utils.make_grid", "torchaudio.save"}
)
PLAIN_VALUE_BUILTINS = frozenset({"print", "len", "float", "int", "bool", "str", "repr", "format", "round"})
# Builtins that look at a value's type: no graph goes on from them, but they say nothing of inference either.
TYPE_TEST_BUILTINS = frozenset({"type", "isinstance"})
# Methods of loggers, writers and plots that record what they are given (`writer.add_scalar(tag, value)`,
# `wandb.log({...})`, `logger.info(...)`, `plt.imshow(img)`), when the receiver is not torch itself.
INFERENCE_SINK_RECEIVER_METHODS = frozenset(
    {
        "add_scalar",
        "add_scalars",
        "add_image",
        "add_images",
        "add_histogram",
        "add_figure",
        "add_text",
        "add_audio",
        "add_video",
        "log",
        "log_metrics",
        "info",
        "debug",
        "warning",
        "write",
        "imshow",
        "imsave",
        "savefig",
        "save_image",
    }
)
# Methods of Python containers that store their argument in the receiver (`outputs.append(y)`).
CONTAINER_STORE_METHODS = frozenset({"append", "extend", "add", "insert", "update", "appendleft"})
