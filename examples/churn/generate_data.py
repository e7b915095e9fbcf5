"""Writes a small synthetic churn dataset: the same rows for the same --rows and --seed."""

import argparse
import os

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="data/churn.csv")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    tenure = rng.integers(1, 72, args.rows)
    monthly = np.round(rng.uniform(20, 120, args.rows), 2)
    tickets = rng.poisson(1.5, args.rows)
    contract = rng.choice(["monthly", "yearly", "two_year"], args.rows, p=[0.55, 0.3, 0.15])
    # Churn is likelier for short tenure, high bills, many tickets and monthly contracts.
    score = -0.04 * tenure + 0.02 * monthly + 0.35 * tickets + np.where(contract == "monthly", 0.8, -0.6) - 1.2
    churned = (rng.uniform(size=args.rows) < 1 / (1 + np.exp(-score))).astype(int)
    frame = pd.DataFrame(
        {"tenure_months": tenure, "monthly_charges": monthly, "support_tickets": tickets, "contract": contract, "churned": churned}
    )
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"wrote {len(frame)} rows to {args.out} ({churned.mean():.1%} churned)")


if __name__ == "__main__":
    main()
