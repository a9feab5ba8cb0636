package dev.sdserve.orchestrator.scheduler;

import dev.sdserve.runtime.FloatTensor;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * diffusers' PNDMScheduler with {@code skip_prk_steps=true}: pseudo linear multistep (PLMS, Liu et al. 2022,
 * "Pseudo Numerical Methods for Diffusion Models on Manifolds"). n steps make n + 1 UNet calls: the second
 * timestep is repeated, and that second call averages its ε with the first call's ε and restarts from the first
 * call's sample (a Heun-like warm-up instead of the Runge–Kutta PRK steps, which this port does not implement).
 *
 * <p>Private state, as diffusers': {@code ets} (the last four ε), {@code counter} (calls so far, starting at 0 at
 * the first call even for img2img) and {@code curSample} (the sample of the first call).
 */
public final class PndmScheduler implements Scheduler {
    static final String NAME = "PNDMScheduler";

    private final NoiseSchedule schedule;
    private final PredictionType prediction;
    private final float finalAlphaCumprod;
    private final int stepRatio;
    private final double[] timesteps;
    private final Deque<FloatTensor> ets = new ArrayDeque<>();
    private int counter;
    private FloatTensor curSample;

    public PndmScheduler(SchedulerConfig c, int steps) {
        c.requireValidBase(NAME);
        SchedulerConfig.supported(c.skip_prk_steps(), "skip_prk_steps", false, NAME + " (PRK warm-up steps)");
        this.prediction = PredictionType.parse(c.prediction_type(), NAME,
                PredictionType.EPSILON, PredictionType.V_PREDICTION);
        TimestepSpacing spacing = TimestepSpacing.parse(c.timestep_spacing(), NAME);
        this.schedule = NoiseSchedule.of(c);
        TimestepSpacing.requireSteps(steps, c.num_train_timesteps());
        this.finalAlphaCumprod = c.set_alpha_to_one() ? 1.0f : schedule.alphaCumprod(0);
        this.stepRatio = c.num_train_timesteps() / steps;
        this.timesteps = plmsTimesteps(spacing.integerDescending(c.num_train_timesteps(), steps, c.steps_offset()));
    }

    /** [t_0, t_1, t_1, t_2, ..., t_{n-1}] from the descending timesteps: diffusers' plms_timesteps. */
    private static double[] plmsTimesteps(long[] desc) {
        int n = desc.length;
        double[] out = new double[n == 1 ? 1 : n + 1];
        int k = 0;
        for (int i = 0; i < n; i++) {
            out[k++] = desc[i];
            if (i == 1) out[k++] = desc[i];
        }
        return out;
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    /** step_plms: combine the ε history (Adams–Bashforth weights) and take one formula-(9) step. */
    @Override
    public FloatTensor step(FloatTensor modelOutput, double t, FloatTensor sample) {
        int timestep = AlphaNoise.integerTimestep(t, schedule.trainSteps());
        int prevTimestep = timestep - stepRatio;
        if (counter != 1) {
            while (ets.size() > 3) ets.removeFirst();
            ets.addLast(modelOutput);
        } else {
            prevTimestep = timestep;
            timestep = timestep + stepRatio;
        }
        FloatTensor eps;
        FloatTensor x = sample;
        if (ets.size() == 1 && counter == 0) {
            eps = modelOutput;
            curSample = sample;
        } else if (ets.size() == 1 && counter == 1) {
            eps = Latents.zip(modelOutput, ets.getLast(), (m, e1) -> (m + e1) / 2);
            x = curSample;
            curSample = null;
        } else {
            eps = combineEts();
        }
        FloatTensor prev = prevSample(x, timestep, prevTimestep, eps);
        counter++;
        return prev;
    }

    /** Linear multistep weights over the last 2, 3 or 4 ε (newest first: e1, e2, e3, e4). */
    private FloatTensor combineEts() {
        Iterator<FloatTensor> it = ets.descendingIterator();
        float[] e1 = it.next().toArray();
        float[] e2 = it.next().toArray();
        float[] e3 = it.hasNext() ? it.next().toArray() : null;
        float[] e4 = it.hasNext() ? it.next().toArray() : null;
        float[] out = new float[e1.length];
        for (int i = 0; i < out.length; i++) {
            if (e3 == null) {
                out[i] = (3 * e1[i] - e2[i]) / 2;
            } else if (e4 == null) {
                out[i] = (23 * e1[i] - 16 * e2[i] + 5 * e3[i]) / 12;
            } else {
                out[i] = (float) (1.0 / 24) * (55 * e1[i] - 59 * e2[i] + 37 * e3[i] - 9 * e4[i]);
            }
        }
        return FloatTensor.of(ets.getLast().shape(), out);
    }

    /**
     * Formula (9) of the PNDM paper: x_{t-δ} = sqrt(ᾱ_{t-δ}/ᾱ_t) x_t − (ᾱ_{t-δ} − ᾱ_t) ε /
     * (ᾱ_t sqrt(1 − ᾱ_{t-δ}) + sqrt((1 − ᾱ_t) ᾱ_t ᾱ_{t-δ})).
     */
    private FloatTensor prevSample(FloatTensor sample, int timestep, int prevTimestep, FloatTensor modelOutput) {
        float alphaProdT = schedule.alphaCumprod(timestep);
        float alphaProdTPrev = schedule.alphaCumprodOr(prevTimestep, finalAlphaCumprod);
        float betaProdT = 1 - alphaProdT;
        float betaProdTPrev = 1 - alphaProdTPrev;
        FloatTensor eps = modelOutput;
        if (prediction == PredictionType.V_PREDICTION) {
            float a = (float) Math.sqrt(alphaProdT);
            float b = (float) Math.sqrt(betaProdT);
            eps = Latents.zip(modelOutput, sample, (v, x) -> a * v + b * x);
        }
        float sampleCoeff = (float) Math.sqrt(alphaProdTPrev / alphaProdT);
        float denom = alphaProdT * (float) Math.sqrt(betaProdTPrev)
                + (float) Math.sqrt(alphaProdT * betaProdT * alphaProdTPrev);
        float diff = alphaProdTPrev - alphaProdT;
        return Latents.zip(sample, eps, (x, e) -> sampleCoeff * x - diff * e / denom);
    }

    @Override
    public FloatTensor addNoise(FloatTensor original, FloatTensor noise, double t) {
        return AlphaNoise.addNoise(schedule, original, noise, t);
    }

    /** PLMS keys on the call counter, which starts at 0 whatever the begin index (as diffusers). */
    @Override
    public void setBeginIndex(int index) {
        StepCursor.checkBeginIndex(index, timesteps.length);
    }

    @Override
    public String displayName() {
        return "PNDM";
    }
}
