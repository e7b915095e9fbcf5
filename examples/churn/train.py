"""Trains a gradient-boosted churn classifier and logs its metrics with the official mlflow client.

Run through `cairn run` (or `mlflow run`), MLFLOW_RUN_ID and MLFLOW_TRACKING_URI are set, so
`mlflow.start_run()` continues the run the launcher created, whose params it already logged.
"""

import argparse

import mlflow
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--n-estimators", type=int, default=50)
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    frame = pd.read_csv(args.data)
    features = pd.get_dummies(frame.drop(columns=["churned"]), columns=["contract"], dtype=float)
    x_train, x_test, y_train, y_test = train_test_split(
        features, frame["churned"], test_size=0.25, random_state=args.seed, stratify=frame["churned"]
    )
    model = GradientBoostingClassifier(
        learning_rate=args.learning_rate, n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=args.seed
    )

    with mlflow.start_run():
        model.fit(x_train, y_train)
        proba = model.predict_proba(x_test)[:, 1]
        metrics = {
            "val_auc": roc_auc_score(y_test, proba),
            "val_accuracy": accuracy_score(y_test, proba >= 0.5),
            "val_log_loss": log_loss(y_test, proba),
        }
        mlflow.log_metrics(metrics)
        for step, loss in enumerate(model.train_score_):
            mlflow.log_metric("train_deviance", float(loss), step=step)
        print(" ".join(f"{k}={v:.4f}" for k, v in metrics.items()))


if __name__ == "__main__":
    main()
