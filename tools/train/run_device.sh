#!/bin/bash
# Training + export + evaluation on a GPU machine in one go (see README.md).
#   tools/train/run_device.sh smoke                 # short: environment, timings, the whole path end to end
#   tools/train/run_device.sh full [UNET_SECONDS]   # the real run (UNET_SECONDS default 400)
# Environment knobs: VAE_SECONDS (75), BATCH (256), EXTRA ("steps:guidance,..." extra no-cache runs),
# TWO (two-shape prompts to score, 40), JOBS (parallel evaluation processes, 5), TRAIN_EXTRA (more train.py flags).
# Results go to $OUT (default /tmp/shapes-out), packed into few files:
#   model_small.tar (the model folder without unet/model.onnx), unet.onnx, unet_te.pt, vae.pt (EMA / VAE
#   checkpoints), info.tar (logs, train_info.json, eval.json), sample.png, sample.txt.
set -u
MODE=${1:-full}
UNET_SECONDS=${2:-400}
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT=${OUT:-/tmp/shapes-out}
W=${WORKDIR:-/tmp/shapes-work}
mkdir -p "$OUT" "$W"
PY=${PY:-python3}
export PYTHONUNBUFFERED=1
{
  $PY -c "import torch, onnxruntime as o; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'ort', o.__version__, o.get_available_providers())"
  $PY -c "import onnx; print('onnx', onnx.__version__)"
  $PY -c "import transformers; print('transformers', transformers.__version__)"
  nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader; nproc
} > "$W/env.txt" 2>&1
grep -v -i warn "$W/env.txt"
if [ "$MODE" = smoke ]; then
  TRAIN_ARGS="--vae-steps 100000 --vae-seconds 15 --unet-steps 100000 --unet-seconds 25 --bench 256,512,1024"
else
  TRAIN_ARGS="--vae-steps ${VAE_STEPS:-4000} --vae-seconds ${VAE_SECONDS:-75} --unet-steps ${UNET_STEPS:-100000} --unet-seconds $UNET_SECONDS --batch ${BATCH:-256} ${TRAIN_EXTRA:-}"
fi
EVAL_ARGS="--n 200 --steps 50 --intervals 1,2,3,5 --two-shape ${TWO-40} --jobs ${JOBS:-6}"
EXTRA=${EXTRA-}
[ -n "$EXTRA" ] && EVAL_ARGS="$EVAL_ARGS --extra $EXTRA"
pack() {
  tar -C "$W" -cf "$OUT/info.tar" env.txt train.log tokenizer_check.txt work/train_info.json eval.json eval.log 2>/dev/null
}
$PY "$HERE/train.py" --out "$W/model" --work "$W/work" $TRAIN_ARGS 2>&1 | grep -v -i warn | tee "$W/train.log" | grep -v "^ " | cut -c1-1500
tar -C "$W/model" --exclude unet/model.onnx -cf "$OUT/model_small.tar" .
cp "$W/model/unet/model.onnx" "$OUT/unet.onnx"; cp "$W/work/"*.pt "$OUT/"
$PY "$HERE/check_tokenizer.py" "$W/model/tokenizer" > "$W/tokenizer_check.txt" 2>&1; tail -2 "$W/tokenizer_check.txt"
pack
$PY "$HERE/evaluate.py" --model "$W/model" $EVAL_ARGS --json "$W/eval.json" --sample-png "$OUT/sample.png" \
  2>&1 | grep -v -i warn | tee "$W/eval.log"
pack
ls -la "$OUT"; du -sh "$W"/model/*
