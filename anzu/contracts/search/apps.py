from django.apps import AppConfig


class ContractSearchConfig(AppConfig):
    name = "anzu.contracts.search"
    label = "contract_search"
    verbose_name = "Contract search and lifecycle board"
