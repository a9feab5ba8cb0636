#!/bin/bash
# Runs training + export + evaluation on a GPU machine in one go, writing everything under $OUT.
#   tools/train/run_device.sh smoke                 # ~2 min: environment, short training, full evaluation path
#   tools/train/run_device.sh full [UNET_SECONDS]   # the real run (see README.md)
set -u
MODE=${1:-full}
UNET_SECONDS=${2:-330}
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT=${OUT:-/tmp/shapes-out}
mkdir -p "$OUT"
PY=${PY:-python3}
{
  $PY -c "import torch, onnxruntime as o; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'ort', o.__version__, o.get_available_providers())"
  $PY -c "import onnx; print('onnx', onnx.__version__)"
  $PY -c "import transformers; print('transformers', transformers.__version__)"
  $PY -c "import diffusers; print('diffusers', diffusers.__version__)"
  nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv; nproc
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt" | grep -v -i warn | tail -12
if [ "$MODE" = smoke ]; then
  TRAIN_ARGS="--vae-steps 100000 --vae-seconds 20 --unet-steps 100000 --unet-seconds 40 --bench 256,512,1024"
  EVAL_ARGS="--n 200 --steps 50 --intervals 1,3"
else
  TRAIN_ARGS="--vae-steps 3000 --vae-seconds 80 --unet-steps 100000 --unet-seconds $UNET_SECONDS"
  EVAL_ARGS="--n 200 --steps 50 --intervals 1,2,3,5 --extra ${EXTRA:-20:7.5,50:3} --two-shape ${TWO:-50}"
fi
$PY "$HERE/train.py" --out "$OUT/model" --work "$OUT/work" $TRAIN_ARGS 2>&1 | grep -v -i warn | tee "$OUT/train.log" | grep -v "^ " | tail -40
$PY "$HERE/check_tokenizer.py" "$OUT/model/tokenizer" 2>&1 | tee "$OUT/tokenizer_check.txt" | tail -3
$PY "$HERE/evaluate.py" --model "$OUT/model" $EVAL_ARGS --json "$OUT/eval.json" --sample-png "$OUT/sample.png" \
  2>&1 | grep -v -i warn | tee "$OUT/eval.log" | tail -20
du -sh "$OUT"/model/*
