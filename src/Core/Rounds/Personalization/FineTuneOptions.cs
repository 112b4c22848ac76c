using System.ComponentModel;
using FedSim.Components;

namespace FedSim.Rounds.Personalization;

/// <summary>
/// Fine-tuning at evaluation (as pfl-research and FedML report personalized accuracy): each evaluated device trains a
/// copy of the global model local_steps steps on its own records before its test; the copy is dropped afterwards.
/// </summary>
[ComponentKind("finetune", Order = 0), GenerateSerializer]
[Description("Fine-tuning: each evaluated device trains a copy of the global model local_steps steps on its own records before its test (the copy is dropped afterwards).")]
public sealed class FineTuneOptions : PersonalizationOptions;
