using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedSim.Components;
using FedSim.Training;

namespace FedSim.Rounds.Personalization;

/// <summary>
/// The personalization family (<c>personalization.kind</c>): how each evaluated device gets a model of its own, tested
/// on its own records beside the global model (<see cref="PersonalizationStage"/>). Either evaluation fine-tunes a copy
/// of the global model (<see cref="FineTuneOptions"/>), or the devices keep personal models they train whenever they are
/// sampled (<see cref="DittoOptions"/>).
/// </summary>
[ComponentFamily("personalization"), GenerateSerializer]
[Description("Personalized evaluation (with evaluation.per_device): how each evaluated device gets a model of its own before its test: kind finetune (a copy of the global model fine-tuned local_steps steps) or ditto (a personal model each device trains beside the global one whenever it is sampled).")]
public abstract class PersonalizationOptions : ComponentOptions
{
    [Id(0), Description("Local steps (minibatches of training.batch_size, with the training optimizer and learning rate) on the device's own training records; finetune: each evaluated device fine-tunes a copy of the global model this many steps before its own test; ditto: each sampled device trains its personal model this many steps a round. 0 = off. Adds personalized_accuracy_mean/_p10/_min.")]
    [Range(0, int.MaxValue)]
    public int LocalSteps { get; set; }

    /// <summary>Whether the scenario personalizes at all (local_steps 0 is off).</summary>
    public bool IsOn => LocalSteps > 0;

    /// <summary>
    /// The training a sampled device gives the personal model it keeps, each round it trains; null when devices keep
    /// none (evaluation then fine-tunes a copy of the global model).
    /// </summary>
    public virtual PersonalModelTraining? KeptModelTraining(TrainingFacts training) => null;

    /// <summary>Rules relating personalization to the rest of the scenario, as findings about keys under <paramref name="path"/>.</summary>
    /// <param name="perDevice">Whether devices are evaluated on their own records (evaluation.per_device).</param>
    public virtual IEnumerable<ComponentFinding> Check(TrainingFacts training, bool perDevice, string path)
    {
        if (IsOn && !perDevice)
            yield return new($"{path}.local_steps",
                $"{path} tests each device's own model on its own records; set evaluation.per_device: true as well");
    }
}

/// <summary>A device's personal-model training in one round: its plan and the steps it takes.</summary>
public sealed record PersonalModelTraining(TrainingPlan Plan, int Steps);
