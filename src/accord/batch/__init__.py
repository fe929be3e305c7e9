"""Many articles at once: inputs, writers, briefs, the HTML report, ``accord classify`` (local or Spark),
``accord summarise`` and the end-to-end benchmark."""
